-- A small test harness for headless Neovim: named tests, assertions that say what differed, waiting on the
-- event loop, and a closing `N passed, N failed` line. Output goes through io.stdout:write because headless
-- `print` adds no newline.

local H = { passed = 0, failed = 0, suite = '' }

local function say(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end
H.say = say

--- Runs one test; a failure is reported with its traceback and the run goes on.
function H.test(name, fn)
  local started = vim.loop.hrtime()
  local ok, err = xpcall(fn, debug.traceback)
  local ms = (vim.loop.hrtime() - started) / 1e6
  if ok then
    H.passed = H.passed + 1
    say(('  ok   %s%s (%d ms)'):format(H.suite, name, ms))
  else
    H.failed = H.failed + 1
    say(('  FAIL %s%s (%d ms)\n%s'):format(H.suite, name, ms, tostring(err):gsub('\n', '\n       ')))
  end
  return ok
end

function H.eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

function H.truthy(value, what)
  if not value then error(('%s: expected a true value, got %s'):format(what or 'value', vim.inspect(value)), 2) end
  return value
end

function H.contains(text, needle, what)
  if type(text) ~= 'string' or not text:find(needle, 1, true) then
    error(('%s: expected %q in %s'):format(what or 'text', needle, vim.inspect(text)), 2)
  end
end

--- Waits until `condition()` is true, pumping the event loop; fails naming `what` (a string, or a function
--- giving one at the time of failure) after `timeout_ms`.
function H.wait_for(condition, timeout_ms, what)
  local value
  local ok = vim.wait(timeout_ms, function()
    value = condition()
    return value
  end, 20)
  if not ok then
    if type(what) == 'function' then what = what() end
    error(('timed out after %d ms waiting for %s'):format(timeout_ms, what or 'a condition'), 2)
  end
  return value
end

--- The lines of a buffer joined with newlines.
function H.buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

--- Prints the closing line and leaves Neovim with 0 only when every test passed.
function H.finish()
  say(('%d passed, %d failed'):format(H.passed, H.failed))
  if H.failed > 0 then vim.cmd('cquit 1') else vim.cmd('qall!') end
end

return H

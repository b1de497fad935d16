-- The plugin end to end, as a person uses it: through :DevMode commands and the sidebar's keys, against the
-- built devmode binary and the sandbox cluster run.mjs started with the sample `ratings` Deployment. The
-- current directory is <project>/src; <project> holds devmode.yaml and index.html.

local H = require('harness')
local devmode = require('devmode')

devmode.setup({ server_path = os.getenv('DEVMODE_TEST_BIN'), notify_log_level = 0 })

local server = require('devmode.server')
local devMode = require('devmode.devMode')
local progress = require('devmode.progress')
local tree = require('devmode.tree')

-- Every server notification by method, to explain a failure.
local received = {}
for method, info in pairs(require('devmode.protocol').methods) do
  if info.kind == 'notification' and info.direction ~= 'clientToServer' then
    server.on(method, function() received[method] = (received[method] or 0) + 1 end)
  end
end

local project = vim.fn.fnamemodify(vim.loop.cwd(), ':h')
local kube_home = os.getenv('DEVMODE_TEST_KUBE_HOME')

local notes = {}
vim.notify = function(message, level)
  table.insert(notes, { message = message, level = level })
end

-- A prompt would wait for keys headless Neovim never gets: any prompt fails the test that caused it.
local prompts = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(prompts, opts.prompt or 'select')
  on_choice(nil)
end
vim.ui.input = function(opts, on_confirm)
  table.insert(prompts, opts.prompt or 'input')
  on_confirm(nil)
end

local function no_prompts()
  H.eq(prompts, {}, 'prompts shown')
end

--- The `nth` (default first) notification containing `needle`.
local function noted(needle, nth)
  local seen = 0
  for _, note in ipairs(notes) do
    if note.message:find(needle, 1, true) then
      seen = seen + 1
      if seen == (nth or 1) then return note end
    end
  end
  return nil
end

local function kubectl(args)
  local out = vim.fn.system(vim.list_extend({ 'env', 'HOME=' .. kube_home, 'kubectl' }, args))
  return out, vim.v.shell_error
end

--- The Deployment as kubectl shows it, minus what the API server and controllers own.
local function snapshot()
  local out, code = kubectl({ 'get', 'deployment', 'ratings', '-o', 'json' })
  H.eq(code, 0, 'kubectl get deployment ratings: ' .. out)
  local object = vim.json.decode(out)
  for _, field in ipairs({ 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp' }) do
    object.metadata[field] = nil
  end
  if object.metadata.annotations then
    object.metadata.annotations['deployment.kubernetes.io/revision'] = nil
    if next(object.metadata.annotations) == nil then object.metadata.annotations = nil end
  end
  object.status = nil
  return object
end

local function row_index(kind, label)
  for index, row in ipairs(tree.rows) do
    if row.node.kind == kind and (label == nil or row.node.label == label) then return index end
  end
  return nil
end

--- Moves the sidebar's cursor to a node and presses a key there, as a person would.
local function press_on(kind, label, key)
  local index = H.wait_for(function() return row_index(kind, label) end, 30000, ('the %s node %s'):format(kind, label or ''))
  local win = vim.fn.bufwinid(tree.buf)
  vim.api.nvim_set_current_win(win)
  vim.api.nvim_win_set_cursor(win, { index, 0 })
  vim.cmd('exe "normal ' .. key .. '"')
end

local before = snapshot()

H.test(':DevMode tree shows the contexts, and expands to the sample Deployment', function()
  local started = vim.loop.hrtime()
  vim.cmd('DevMode tree')
  H.wait_for(function() return row_index('context') end, 60000, 'the first tree nodes')
  H.say(('  figure: :DevMode tree to first nodes shown: %d ms (including the server start)'):format((vim.loop.hrtime() - started) / 1e6))
  H.eq(vim.api.nvim_buf_get_option(tree.buf, 'filetype'), 'devmode-tree', 'filetype')
  press_on('context', nil, '\\<CR>')
  press_on('namespace', 'default', '\\<CR>')
  press_on('group', 'Deployments', '\\<CR>')
  local index = H.wait_for(function() return row_index('workload', 'ratings') end, 30000, 'the ratings workload')
  H.contains(vim.api.nvim_buf_get_lines(tree.buf, index - 1, index, false)[1], 'ratings', 'the ratings line')
end)

H.test('s on the workload starts DevMode; it reaches running with progress seen', function()
  press_on('workload', 'ratings', 's')
  H.wait_for(function() return noted('DevMode running on deployment/ratings') or noted('DevMode start failed') end,
    180000, 'the start to finish')
  H.truthy(noted('DevMode running on deployment/ratings'), 'the running notification: ' .. vim.inspect(notes))
  local session = H.truthy(devMode.active(), 'the active session')
  H.eq(session.state, 'running', 'the session state')
  local kinds = {}
  for _, entry in ipairs(progress.history) do kinds[entry.value.kind] = true end
  H.truthy(kinds.begin and kinds['end'], 'progress begin and end seen: ' .. vim.inspect(kinds))
  H.eq(session.localDir, project, 'the folder with the nearest devmode.yaml is synced')
  H.wait_for(function()
    local index = row_index('workload', 'ratings')
    return index and tree.rows[index].node.state == 'devMode-mine'
  end, 60000, 'the tree to show ratings in DevMode (tree/didChange)')
end)

H.test('a local edit reaches the container and the statusline shows synced', function()
  local session = devMode.active()
  H.contains(devmode.statusline(), 'DevMode ratings', 'the statusline during the session')
  vim.cmd('wincmd l')
  vim.cmd('edit ' .. vim.fn.fnameescape(project .. '/index.html'))
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { '<h1>ratings, edited in Neovim</h1>' })
  vim.cmd('silent write')
  local err, status = server.request_sync('sync/status', { sessionId = session.sessionId })
  H.eq(err, nil, 'sync/status')
  H.wait_for(function()
    local out, code = kubectl({ 'exec', session.pod, '-c', session.container, '--', 'cat', status.remoteDir .. '/index.html' })
    return code == 0 and out:find('edited in Neovim', 1, true)
  end, 60000, 'the edit to be visible in the container')
  H.wait_for(function() return devmode.statusline() == 'DevMode ratings ✓ synced' end, 30000,
    'the statusline to show synced (it shows ' .. devmode.statusline() .. ')')
  H.say(('  note: %d sync/didChangeState notification(s) received so far'):format(received['sync/didChangeState'] or 0))
end)

H.test(':DevMode list shows the container with its debugger; :DevMode debug prints where to attach', function()
  local port = os.getenv('DEVMODE_TEST_DEBUG_PORT')
  vim.cmd('DevMode list')
  local listed = H.wait_for(function() return noted('custom debugger 127.0.0.1:' .. port) end, 30000,
    function() return 'the container line in :DevMode list: ' .. vim.inspect(notes[#notes]) end)
  H.truthy(listed.message:find('\n    ratings  /', 1, true), 'the ratings container line in: ' .. listed.message)
  -- The sandbox's nvim has no nvim-dap, and a custom debugger is printed in any case.
  vim.cmd('DevMode debug')
  local printed = H.wait_for(function() return noted('custom debugger on 127.0.0.1:' .. port) end, 30000,
    function() return ':DevMode debug to print the attach info: ' .. vim.inspect(notes[#notes]) end)
  H.contains(printed.message, 'deployment/ratings (ratings): custom debugger on 127.0.0.1:' .. port .. ' (port 9229 in the container); ', 'the attach info')
  H.contains(printed.message, ' there is ' .. project .. ' here', 'the local root')
  no_prompts()
end)

H.test(':DevMode terminal opens a terminal buffer in the dev container that runs a command and follows resizes', function()
  local terminal = require('devmode.terminal')
  vim.cmd('DevMode terminal')
  local entry = H.wait_for(function()
    local _, e = next(terminal.terminals)
    return e
  end, 30000, 'the terminal to open')
  H.eq(vim.api.nvim_get_current_buf(), entry.buf, 'the terminal buffer is shown')
  H.wait_for(function() return H.buffer_text(entry.buf):find('[#$] ?') end, 30000, 'a shell prompt')
  -- Keys typed in terminal mode reach terminal.input through nvim_open_term's on_input; headless Neovim reads
  -- no keys while this script holds the main loop, so the test hands them over the same way.
  local function type_keys(text) H.truthy(terminal.input(entry.buf, text), 'the terminal takes input') end
  type_keys('echo hi-$((6*7))\r')
  H.wait_for(function() return H.buffer_text(entry.buf):find('hi-42', 1, true) end, 30000,
    'the command output in the terminal buffer: ' .. H.buffer_text(entry.buf) .. ' mode ' .. vim.api.nvim_get_mode().mode)
  -- The terminal follows its window's size. Neovim fires WinScrolled for a resize when it next redraws, which
  -- it does not do while this script holds the main loop, so the test fires it as the redraw would.
  vim.cmd('resize 9')
  vim.api.nvim_exec_autocmds('WinScrolled', {})
  type_keys('stty size\r')
  H.wait_for(function() return H.buffer_text(entry.buf):find('\n9 %d+') end, 30000,
    function() return 'stty size to say 9 rows in:\n' .. H.buffer_text(entry.buf) end)
  type_keys('exit 3\r')
  H.wait_for(function() return entry.exited end, 30000, 'terminal/didExit')
  H.eq(entry.exitCode, 3, 'exit code')
  -- The window is narrow beside the sidebar, so the message may wrap: read the lines joined.
  H.wait_for(function()
    return table.concat(vim.api.nvim_buf_get_lines(entry.buf, 0, -1, false), ''):find('exited with code%s*3')
  end, 10000, function() return 'the exit code shown in:\n' .. H.buffer_text(entry.buf) end)
  no_prompts()
end)

H.test(':DevMode logs follows the dev pod in a scratch buffer', function()
  local logs = require('devmode.logs')
  vim.cmd('DevMode logs')
  H.wait_for(function()
    for _, entry in pairs(logs.streams) do
      if H.buffer_text(entry.buf):find('nvim-dev-started', 1, true) then return true end
    end
    return false
  end, 60000, 'the dev command\'s first line in the logs buffer')
  no_prompts()
end)

H.test(':DevMode forward :9080 forwards a free local port to the dev server, which serves the synced edit', function()
  vim.cmd('wincmd l')
  vim.cmd('DevMode forward :9080')
  local note = H.wait_for(function() return noted(' → 9080') or noted('port-forward failed') end, 30000, 'the forward')
  local port = H.truthy(note.message:match('^Forwarding 127%.0%.0%.1:(%d+) → 9080$'), 'the forwarded port in: ' .. note.message)
  H.wait_for(function()
    local page = vim.fn.system({ 'python3', '-c', 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())', 'http://127.0.0.1:' .. port .. '/index.html' })
    return vim.v.shell_error == 0 and page:find('edited in Neovim', 1, true)
  end, 30000, 'the page through the forward')
end)

H.test(':DevMode stop restores the Deployment exactly (checked with kubectl)', function()
  local session = devMode.active()
  vim.cmd('wincmd l')
  vim.cmd('DevMode stop')
  H.wait_for(function() return noted('DevMode stopped') or noted('DevMode stop failed') end, 120000, 'DevMode to stop')
  H.truthy(noted('DevMode stopped'), 'the stopped notification: ' .. vim.inspect(notes))
  H.eq(session.state, 'stopped', 'the session state')
  H.eq(devmode.statusline(), '', 'the statusline is empty without a session')
  H.eq(snapshot(), before, 'the Deployment after stop')
  no_prompts()
end)

H.test(':DevMode cancel during a start sends $/cancelRequest; the workload is left as it was', function()
  vim.cmd('wincmd l')
  vim.cmd('DevMode start deploy/ratings')
  H.wait_for(function()
    for _, entry in pairs(progress.active) do
      if entry.request and entry.request.id then return true end
    end
    return false
  end, 30000, 'the start request to be sent')
  vim.cmd('DevMode cancel')
  H.wait_for(function() return noted('DevMode start on deployment/ratings cancelled') or noted('DevMode running on deployment/ratings', 2) end,
    120000, 'the start to end')
  H.truthy(noted('DevMode start on deployment/ratings cancelled'), 'the cancelled notification: ' .. vim.inspect(notes))
  H.eq(snapshot(), before, 'the Deployment after the cancelled start')
end)

H.test('c on the workload opens devmode.yaml; a bad field goes into the quickfix list with file and line', function()
  local path = project .. '/devmode.yaml'
  local good = vim.fn.readfile(path)
  local bad = vim.deepcopy(good)
  table.insert(bad, 'sync:')
  table.insert(bad, '  mode: sideways')
  vim.fn.writefile(bad, path)
  vim.fn.setqflist({}, 'r')
  press_on('workload', 'ratings', 'c')
  local items = H.wait_for(function()
    local list = vim.fn.getqflist()
    return #list > 0 and list
  end, 30000, 'a quickfix entry')
  vim.fn.writefile(good, path)
  H.eq(vim.fn.fnamemodify(vim.api.nvim_buf_get_name(items[1].bufnr), ':p'), vim.fn.fnamemodify(path, ':p'), 'the file')
  H.eq(items[1].lnum, #bad, 'the line of the bad field')
  H.eq(vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':p'), vim.fn.fnamemodify(path, ':p'), 'devmode.yaml is open')
  vim.cmd('silent! bwipeout!')
  no_prompts()
end)

H.test(':checkhealth devmode reports OK', function()
  vim.cmd('checkhealth devmode')
  local text = H.buffer_text(0)
  H.contains(text, 'devmode: server binary', 'the report')
  H.contains(text, 'devmode 0.1.0', 'the binary version')
  H.contains(text, 'is reachable', 'the sandbox context answers')
  H.truthy(text:find('OK', 1, true), 'OK lines')
  H.truthy(not text:find('ERROR', 1, true), 'no ERROR in:\n' .. text)
end)

local function server_pids()
  local pids = {}
  for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
    local info = vim.api.nvim_get_proc(pid)
    -- The single executable names its thread MainThread; its command line tells it apart.
    local args = vim.fn.system({ 'ps', '-o', 'args=', '-p', tostring(pid) })
    if args:find('serve --stdio', 1, true) then table.insert(pids, pid) end
  end
  return pids
end

H.test('a crashed server is reported, restarted, and the tree is read again', function()
  local pids = H.wait_for(function() local p = server_pids() return #p > 0 and p end, 10000, 'the server process')
  local fetched = 0
  local fetch = tree.fetch
  tree.fetch = function(...)
    fetched = fetched + 1
    return fetch(...)
  end
  vim.loop.kill(pids[1], 9)
  H.wait_for(function() return noted('The devmode server exited') end, 30000, 'the crash notification')
  H.wait_for(function() return server.status == 'ready' end, 60000, 'the restarted server')
  H.wait_for(function() return fetched > 0 and row_index('workload', 'ratings') end, 60000, 'the tree read again')
  tree.fetch = fetch
end)

H.say('server pids: ' .. table.concat(server_pids(), ' '))

-- Progress: one notification per operation, replaced in place where the notifier allows; cancelling our own
-- operation and one the server created.

local H = require('harness')
local progress = require('devmode.progress')
local server = require('devmode.server')

H.test('begin, report and end update one notification in place', function()
  local shown = {}
  local original = vim.notify
  vim.notify = function(message, _, opts)
    table.insert(shown, { message = message, replace = opts.replace })
    return { id = #shown }
  end
  local ok, err = pcall(function()
    progress.on_progress({ token = 't1', value = { kind = 'begin', title = 'Starting DevMode for deployment/ratings', percentage = 0 } })
    progress.on_progress({ token = 't1', value = { kind = 'report', message = 'waiting for the dev pod', phase = 'waitPod', percentage = 60 } })
    H.eq(progress.current().phase, 'waitPod', 'the phase the statusline shows')
    progress.on_progress({ token = 't1', value = { kind = 'end', message = 'running' } })
  end)
  vim.notify = original
  assert(ok, err)
  H.eq(#shown, 3, 'notifications')
  H.eq(shown[1].replace, nil, 'the first one is new')
  H.eq(shown[2].replace, { id = 1 }, 'the report replaces it')
  H.eq(shown[3].replace, { id = 2 }, 'the end replaces the report')
  H.contains(shown[2].message, '[waitPod] waiting for the dev pod (60%)', 'the report text')
  H.contains(shown[3].message, 'running', 'the end text')
  H.eq(progress.current(), nil, 'nothing runs after end')
end)

H.test('cancel sends $/cancelRequest for our request and window/workDoneProgress/cancel for the server\'s', function()
  local sent, cancelled = {}, {}
  local original_send, original_cancel, original_notify = server.send, server.cancel, vim.notify
  vim.notify = function() end
  server.send = function(method, params) table.insert(sent, { method = method, params = params }) end
  server.cancel = function(handle) table.insert(cancelled, handle) end
  local ok, err = pcall(function()
    local handle = { id = 7, method = 'devMode/start' }
    progress.track('ours', handle)
    progress.on_progress({ token = 'ours', value = { kind = 'begin', title = 'Starting' } })
    progress.on_progress({ token = 'theirs', value = { kind = 'begin', title = 'Resyncing' } })
    H.eq(progress.cancel_all(), 2, 'cancelled operations')
    H.eq(cancelled, { handle }, 'our request')
    H.eq(sent, { { method = 'window/workDoneProgress/cancel', params = { token = 'theirs' } } }, 'the server\'s token')
  end)
  server.send, server.cancel, vim.notify = original_send, original_cancel, original_notify
  progress.active = {}
  assert(ok, err)
end)

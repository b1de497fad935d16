-- The JSON-RPC client: the rpc.start signature shim, null handling, and framing through Neovim's own reader
-- against a peer that splits and batches frames.

local H = require('harness')
local client = require('devmode.rpc.client')
local start = require('devmode.rpc.start')

local function fake_rpc(returned)
  local calls = {}
  return {
    calls = calls,
    start = function(...)
      table.insert(calls, { ... })
      return returned
    end,
  }
end

H.test('the shim calls start(cmd_list, dispatchers, extra) on 0.10+', function()
  local rpc = fake_rpc({ request = 'r', notify = 'n', terminate = function() end })
  local dispatchers, extra = { name = 'd' }, { cwd = '/tmp' }
  start.start({ 'devmode', 'serve', '--stdio' }, dispatchers, extra, rpc, true)
  H.eq(#rpc.calls, 1, 'calls')
  H.eq(rpc.calls[1][1], { 'devmode', 'serve', '--stdio' }, 'cmd list')
  H.eq(rpc.calls[1][2], dispatchers, 'dispatchers')
  H.eq(rpc.calls[1][3], extra, 'extra params')
end)

H.test('the shim calls start(cmd, args, dispatchers, extra) on 0.7-0.9', function()
  local rpc = fake_rpc({ request = 'r', notify = 'n' })
  local dispatchers, extra = { name = 'd' }, { cwd = '/tmp' }
  start.start({ 'devmode', 'serve', '--stdio' }, dispatchers, extra, rpc, false)
  H.eq(rpc.calls[1][1], 'devmode', 'cmd')
  H.eq(rpc.calls[1][2], { 'serve', '--stdio' }, 'args')
  H.eq(rpc.calls[1][3], dispatchers, 'dispatchers')
  H.eq(rpc.calls[1][4], extra, 'extra params')
end)

H.test('the shim terminates through terminate() when present, else kills the 0.7 handle', function()
  local terminated = false
  local handle = start.start({ 'x' }, {}, {}, fake_rpc({ terminate = function() terminated = true end }), true)
  handle.terminate()
  H.truthy(terminated, 'terminate called')
  local signal
  local old = start.start({ 'x' }, {}, {}, fake_rpc({ handle = { is_closing = function() return false end, kill = function(_, s) signal = s end } }), false)
  old.terminate()
  H.eq(signal, 15, 'signal sent to the 0.7 handle')
end)

H.test('the shim picks the signature of the running Neovim', function()
  H.eq(start.has_list_signature(), vim.fn.has('nvim-0.10') == 1, 'has_list_signature')
end)

H.test('nulls are removed from decoded values, arrays stay lists', function()
  local decoded = vim.json.decode('{"a":null,"list":[1,null,2],"nested":{"b":null,"c":"kept"},"n":0}')
  H.eq(client.without_nulls(decoded), { list = { 1, 2 }, nested = { c = 'kept' }, n = 0 }, 'cleaned')
  H.eq(client.without_nulls(vim.NIL), nil, 'a bare null')
end)

H.test('empty params go out as {} and absent params stay absent', function()
  H.eq(vim.json.encode(client.wire_params({})), '{}', 'empty params')
  H.eq(client.wire_params(nil), nil, 'no params')
  H.eq(vim.json.decode(vim.json.encode(client.wire_params({ nodeId = 'x' }))), { nodeId = 'x' }, 'params kept')
end)

H.test('a response error gets its protocol name and keeps its data', function()
  local err = client.error_of({ code = -32800, message = 'cancelled', data = { hint = 'try again', file = vim.NIL } })
  H.eq(err.name, 'RequestCancelled', 'name')
  H.eq(err.data, { hint = 'try again' }, 'data without nulls')
  H.eq(client.describe(err), 'cancelled\ntry again', 'described')
end)

-- The real client against a peer that writes frames in awkward ways.
local node = os.getenv('DEVMODE_TEST_NODE')
local peer_script = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h') .. '/fixtures/frameServer.mjs'
local notifications, exit_code = {}, nil
local peer

H.test('the client starts a peer process', function()
  H.truthy(node and vim.fn.executable(node) == 1, 'DEVMODE_TEST_NODE names node')
  peer = client.spawn({
    cmd = { node, peer_script },
    on_notification = function(method, params) table.insert(notifications, { method = method, params = params }) end,
    on_request = function(method)
      if method == 'window/workDoneProgress/create' then return nil end
      return nil, { code = -32601, message = 'not here: ' .. method }
    end,
    on_exit = function(code) exit_code = code end,
  })
end)

local function call(method, params)
  local err, result = peer:request_sync(method, params, 10000)
  return err, result
end

H.test('empty params reach the peer as {}', function()
  local err, result = call('echoParams', {})
  H.eq(err, nil, 'error')
  H.eq(result.raw, '{}', 'params as the peer read them')
end)

H.test('a frame split inside its header and its UTF-8 characters is read whole', function()
  local err, result = call('split', { n = 1 })
  H.eq(err, nil, 'error')
  H.eq(result.text, 'grüße ✓ 日本', 'text')
end)

H.test('two frames in one write are both read, in order', function()
  local err, result = call('batch', { n = 1 })
  H.eq(err, nil, 'error')
  H.eq(result.n, 2, 'response')
  H.wait_for(function() return #notifications > 0 end, 5000, 'the notification')
  H.eq(notifications[1], { method = 'test/event', params = { n = 1 } }, 'notification before response')
end)

H.test('null fields, null array elements and a null result arrive as absent', function()
  local err, result = call('nulls', { n = 1 })
  H.eq(err, nil, 'error')
  H.eq(result, { list = { 1, 2 }, nested = { c = 'kept' } }, 'result')
  local err2, result2 = call('null', { n = 1 })
  H.eq(err2, nil, 'error of null')
  H.eq(result2, nil, 'null result')
end)

H.test('an error response is named and keeps its hint', function()
  local err = call('fail', { n = 1 })
  H.eq(err.name, 'KubeconfigInvalid', 'name')
  H.eq(err.data, { hint = 'set KUBECONFIG' }, 'data')
end)

H.test('server requests are answered: null for workDoneProgress/create, MethodNotFound otherwise', function()
  notifications = {}
  local err, result = call('ask', { n = 1 })
  H.eq(err, nil, 'error')
  H.eq(result, 'asked', 'result')
  H.wait_for(function() return #notifications >= 2 end, 5000, 'both answers')
  local by_id = {}
  for _, n in ipairs(notifications) do by_id[n.params.answer.id] = n.params.answer end
  H.eq(by_id['server-1'].result, nil, 'null result (without_nulls drops it)')
  H.eq(by_id['server-1'].error, nil, 'no error for create')
  H.eq(by_id['server-2'].error.code, -32601, 'MethodNotFound for the unknown request')
end)

H.test('the peer exiting reaches on_exit with its code, and later requests fail at once', function()
  peer:notify('exit', nil)
  H.wait_for(function() return exit_code ~= nil end, 5000, 'on_exit')
  H.eq(exit_code, 3, 'exit code')
  local err = call('echoParams', {})
  H.truthy(err and err.message:find('not running'), 'request after exit fails: ' .. vim.inspect(err))
end)

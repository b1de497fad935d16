-- `:DevMode debug`, `-c <container>` and the per-container lines of `:DevMode list`: what the person reads, and
-- the configuration a (fake) nvim-dap receives. The server's `devMode/list` answer is stood in for.

local H = require('harness')
local commands = require('devmode.commands')
local devMode = require('devmode.devMode')

local web_debug = {
  kind = 'node', address = '127.0.0.1', localPort = 40123, remotePort = 9229,
  remoteRoot = '/app', localRoot = '/home/dev/web',
}

local function sessions()
  return {
    {
      sessionId = 's-1', mine = true, state = 'running', mode = 'replace',
      target = { namespace = 'shop', kind = 'Deployment', name = 'web', container = 'web' },
      debug = web_debug,
      containers = {
        {
          container = 'web', workDir = '/app', localDir = '/home/dev/web',
          sync = { state = 'syncing', pendingFiles = 3 },
          portForwards = {
            { address = '127.0.0.1', localPort = 18080, remotePort = 8080 },
            { address = '127.0.0.1', localPort = 40123, remotePort = 9229 },
          },
          debug = web_debug,
        },
        { container = 'metrics', workDir = '/home/devmode', portForwards = {} },
      },
    },
    {
      mine = false, state = 'running', mode = 'replace', owner = 'ben@desktop',
      target = { namespace = 'shop', kind = 'StatefulSet', name = 'db', container = 'postgres' },
    },
  }
end

--- Runs `:DevMode <args>` with `devMode/list` answering `listed`; returns what was notified, in order.
local function run(args, listed)
  local notified = {}
  local notify, list = vim.notify, devMode.list
  vim.notify = function(message) table.insert(notified, message) end
  devMode.list = function(callback) callback(listed) end
  local ok, err = pcall(commands.run, { args = args })
  vim.notify, devMode.list = notify, list
  if not ok then error(err, 2) end
  return notified
end

H.test('-c names the container; --container= too', function()
  local positional, flags = commands.parse_args({ 'ratings-7c9-x2x', '-c', 'web', '-n', 'shop' })
  H.eq(positional, { 'ratings-7c9-x2x' }, 'positional')
  H.eq(flags, { container = 'web', namespace = 'shop' }, 'flags')
  H.eq(select(2, commands.parse_args({ '--container=metrics' })).container, 'metrics', '--container=')
  H.eq(commands.complete('de', 'DevMode de'), { 'debug' }, 'debug is a subcommand')
end)

H.test(':DevMode list shows each container of a session with its sync, forwards and debugger', function()
  local notified = run('list', sessions())
  H.eq(notified, {
    table.concat({
      '◆ shop/deployment/web  running',
      '    web  /app  syncing, 3 pending  127.0.0.1:18080→8080  node debugger 127.0.0.1:40123',
      '    metrics  /home/devmode  no sync',
      '◇ shop/statefulset/db  running  by ben@desktop',
    }, '\n'),
  }, 'the list')
end)

H.test(':DevMode debug without nvim-dap prints the kind, the address and both roots', function()
  package.loaded['dap'] = nil
  local notified = run('debug', sessions())
  H.eq(notified, {
    'deployment/web (web): node debugger on 127.0.0.1:40123 (port 9229 in the container); /app there is /home/dev/web here',
  }, 'the attach information')
end)

H.test(':DevMode debug with nvim-dap runs an attach configuration through the forwarded port', function()
  local ran = {}
  package.loaded['dap'] = { run = function(config) table.insert(ran, config) end }
  local ok, err = pcall(run, 'debug -c web', sessions())
  package.loaded['dap'] = nil
  if not ok then error(err) end
  H.eq(ran, { {
    type = 'pwa-node', request = 'attach', name = 'DevMode: deployment/web (web)',
    address = '127.0.0.1', port = 40123, localRoot = '/home/dev/web', remoteRoot = '/app', cwd = '/home/dev/web',
    skipFiles = { '<node_internals>/**' },
  } }, 'the configuration nvim-dap received')
end)

H.test('the attach configuration of each debug kind', function()
  local debug = require('devmode.debug')
  local function with_kind(kind) return vim.tbl_extend('force', web_debug, { kind = kind }) end
  H.eq(debug.dap_config(with_kind('python'), 'n'), {
    type = 'python', request = 'attach', name = 'n', connect = { host = '127.0.0.1', port = 40123 },
    pathMappings = { { localRoot = '/home/dev/web', remoteRoot = '/app' } }, justMyCode = false,
  }, 'python (debugpy)')
  H.eq(debug.dap_config(with_kind('java'), 'n'),
    { type = 'java', request = 'attach', name = 'n', hostName = '127.0.0.1', port = 40123 }, 'java (JDWP)')
  H.eq(debug.dap_config(with_kind('go'), 'n'), {
    type = 'go', request = 'attach', name = 'n', mode = 'remote', host = '127.0.0.1', port = 40123,
    substitutePath = { { from = '/home/dev/web', to = '/app' } },
  }, 'go (Delve)')
  H.eq(debug.dap_config(with_kind('custom'), 'n'), nil, 'custom: no configuration')
end)

H.test(':DevMode debug names the container it did not find, and a custom debugger is printed even with nvim-dap', function()
  H.contains(run('debug -c metrics', sessions())[1], 'No DevMode session of this server runs a debugger in container metrics', 'none')
  local custom = sessions()
  custom[1].containers[1].debug = vim.tbl_extend('force', web_debug, { kind = 'custom' })
  local ran = 0
  package.loaded['dap'] = { run = function() ran = ran + 1 end }
  local ok, notified = pcall(run, 'debug', custom)
  package.loaded['dap'] = nil
  H.truthy(ok, notified)
  H.eq(ran, 0, 'nvim-dap is not run for a custom debugger')
  H.contains(notified[1], 'custom debugger on 127.0.0.1:40123', 'the address')
end)

H.test(':DevMode terminal and logs with -c open in that container', function()
  local terminal, logs = require('devmode.terminal'), require('devmode.logs')
  local open_terminal, open_logs = terminal.open, logs.open
  local opened = {}
  terminal.open = function(target) table.insert(opened, { 'terminal', target }) end
  logs.open = function(target) table.insert(opened, { 'logs', target }) end
  local ok, err = pcall(function()
    commands.run({ args = 'terminal web-7c9-x2x -c metrics -n shop' })
    commands.run({ args = 'logs deploy/web -c metrics -n shop' })
  end)
  terminal.open, logs.open = open_terminal, open_logs
  if not ok then error(err) end
  H.eq(opened, {
    { 'terminal', { namespace = 'shop', pod = 'web-7c9-x2x', container = 'metrics' } },
    { 'logs', { namespace = 'shop', kind = 'Deployment', name = 'web', container = 'metrics' } },
  }, 'the targets')
end)

-- Parsing what people type: targets, ports, flags; and the statusline text for each sync state.

local H = require('harness')
local devMode = require('devmode.devMode')
local portForward = require('devmode.portForward')
local commands = require('devmode.commands')
local statusline = require('devmode.statusline')

H.test('kind/name targets are read as the CLI reads them', function()
  H.eq(devMode.parse_target('deploy/ratings', 'shop'), { namespace = 'shop', kind = 'Deployment', name = 'ratings' }, 'deploy')
  H.eq(devMode.parse_target('STS/db').kind, 'StatefulSet', 'case-insensitive kind')
  H.eq(devMode.parse_target('cj/nightly').kind, 'CronJob', 'cj')
  local target, problem = devMode.parse_target('ratings')
  H.eq(target, nil, 'no kind')
  H.contains(problem, 'deploy/ratings', 'the message shows the expected form')
  H.eq(devMode.parse_target('deploy/a/b'), nil, 'too many parts')
  H.eq(devMode.parse_target('widget/a'), nil, 'unknown kind')
end)

H.test('LOCAL:REMOTE ports', function()
  H.eq({ portForward.parse_ports('8080:80') }, { 8080, 80 }, 'both')
  H.eq({ portForward.parse_ports(':80') }, { nil, 80 }, 'any local port')
  H.eq({ portForward.parse_ports('9080') }, { 9080, 9080 }, 'the same port')
  local l, r, problem = portForward.parse_ports('http')
  H.eq({ l, r }, {}, 'no ports')
  H.contains(problem, 'LOCAL:REMOTE', 'the message')
end)

H.test('flags are taken out of the words', function()
  local positional, flags = commands.parse_args({ 'deploy/ratings', '--duplicate', '-n', 'shop' })
  H.eq(positional, { 'deploy/ratings' }, 'positional')
  H.eq(flags, { duplicate = true, namespace = 'shop' }, 'flags')
end)

H.test('completion offers subcommands, then sync subcommands', function()
  H.eq(commands.complete('st', 'DevMode st'), { 'start', 'stop' }, 'subcommands')
  H.eq(commands.complete('', 'DevMode sync '), { 'status', 'flush', 'resync', 'pause', 'resume' }, 'sync')
end)

H.test('the statusline shows the workload and its sync state', function()
  local session = { target = { name = 'ratings' }, state = 'running', sync = { state = 'idle', pendingFiles = 0 } }
  H.eq(statusline.render(session), 'DevMode ratings ✓ synced', 'synced')
  session.sync = { state = 'syncing', pendingFiles = 3 }
  H.eq(statusline.render(session), 'DevMode ratings ↑3', 'pending')
  session.sync = { state = 'disconnected', pendingFiles = 0 }
  H.eq(statusline.render(session), 'DevMode ratings ✗ disconnected', 'disconnected')
  H.eq(statusline.render({ target = { name = 'ratings' }, state = 'starting', phase = 'waitPod' }), 'DevMode ratings … waitPod', 'starting')
  H.eq(statusline.render(nil), '', 'no session')
  H.eq(require('devmode').statusline(), '', 'no active session: empty')
end)

H.test('the help file builds its tags, :DevMode and devmode-options among them', function()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir .. '/doc', 'p')
  local source = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h:h') .. '/doc/devmode.txt'
  vim.fn.writefile(vim.fn.readfile(source), dir .. '/doc/devmode.txt')
  vim.cmd('helptags ' .. vim.fn.fnameescape(dir .. '/doc'))
  local tags = table.concat(vim.fn.readfile(dir .. '/doc/tags'), '\n')
  for _, tag in ipairs({ ':DevMode', 'devmode-options', 'devmode-keys', 'devmode.statusline()', ':DevMode-sync' }) do
    H.contains(tags, tag .. '\t', 'tags')
  end
  vim.fn.delete(dir, 'rf')
end)

H.test('without server_path the binary is devmode on PATH, else the repository build', function()
  local config = require('devmode.config')
  local repo = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h:h:h:h')
  H.eq(config.repo_binary(), repo .. '/dist/devmode', 'the repository build')
  local path = vim.env.PATH
  vim.env.PATH = '/nonexistent'
  local binary, how = config.server_binary()
  vim.env.PATH = path
  if vim.fn.executable(repo .. '/dist/devmode') == 1 then
    H.eq({ binary, how }, { repo .. '/dist/devmode', 'the repository build' }, 'found')
  else
    H.eq(binary, nil, 'nothing found')
    H.contains(how, 'npm run build:binary', 'what to do')
  end
  config.setup({ server_path = '/nonexistent/devmode' })
  local missing, problem = config.server_binary()
  config.setup({})
  H.eq(missing, nil, 'a configured path that is not executable')
  H.contains(problem, 'server_path', 'the message names the option')
end)

H.test(':DevMode list marks a stale session with who left it and since when', function()
  local target = { namespace = 'shop', kind = 'Deployment', name = 'cart' }
  H.eq(devMode.list_line({ target = target, state = 'running', mine = true }), '◆ shop/deployment/cart  running', 'mine')
  local line = devMode.list_line({
    target = target, state = 'stale', mine = false, owner = 'cleo@build-7',
    stale = { user = 'cleo', machine = 'build-7', since = '2026-01-11T18:45:03.000Z', heartbeat = true },
  })
  H.eq(line, '⚠ shop/deployment/cart  stale  by cleo@build-7  silent since 2026-01-11T18:45:03.000Z; :DevMode reset restores it', 'stale')
end)

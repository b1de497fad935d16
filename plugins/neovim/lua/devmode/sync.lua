-- `:DevMode sync status|flush|resync|pause|resume` on the active session's file sync.

local devMode = require('devmode.devMode')
local progress = require('devmode.progress')
local server = require('devmode.server')

local M = {}

M.subcommands = { 'status', 'flush', 'resync', 'pause', 'resume' }

local function describe_status(status)
  local lines = {
    ('Sync %s: %s → %s (%s)'):format(status.state, status.localDir, status.remoteDir, status.mode),
    ('%d file(s) waiting%s'):format(status.pendingFiles, status.lastSyncAt and ('; last sync ' .. status.lastSyncAt) or ''),
  }
  if status.message then table.insert(lines, status.message) end
  for _, e in ipairs(status.errors or {}) do table.insert(lines, ('✗ %s: %s'):format(e.localPath, e.message)) end
  for _, c in ipairs(status.conflicts or {}) do table.insert(lines, ('⚠ %s: %s'):format(c.localPath, c.reason)) end
  return table.concat(lines, '\n')
end

--- Runs one sync subcommand on `session` (the active one when nil).
function M.run(subcommand, session, callback)
  session = session or devMode.active()
  local function done(err, result)
    if callback then callback(err, result) end
  end
  if not session then
    server.notify('No active DevMode session: start one with :DevMode start', vim.log.levels.WARN)
    return done({ message = 'no active session' })
  end
  local id = session.sessionId
  if subcommand == 'status' then
    server.request('sync/status', { sessionId = id }, function(err, status)
      if err then devMode.report('sync status failed', err) else
        session.sync = { state = status.state, pendingFiles = status.pendingFiles, message = status.message }
        server.notify(describe_status(status))
      end
      done(err, status)
    end)
  elseif subcommand == 'flush' then
    server.request('sync/flush', { sessionId = id }, function(err, result)
      if err then devMode.report('sync flush failed', err) else
        server.notify(('Sync flushed: %d file(s) transferred'):format(result.filesTransferred))
      end
      done(err, result)
    end)
  elseif subcommand == 'resync' then
    local token = progress.token()
    local handle = server.request('sync/resync', { sessionId = id, workDoneToken = token }, function(err, result)
      progress.finish(token)
      if err then devMode.report('resync failed', err) else
        server.notify(('Resynced: %d transferred, %d deleted'):format(result.filesTransferred, result.filesDeleted))
      end
      done(err, result)
    end)
    progress.track(token, handle)
  elseif subcommand == 'pause' or subcommand == 'resume' then
    server.request('sync/' .. subcommand, { sessionId = id }, function(err)
      if err then devMode.report('sync ' .. subcommand .. ' failed', err) else
        server.notify(subcommand == 'pause' and 'Sync paused' or 'Sync resumed')
      end
      done(err)
    end)
  else
    server.notify(('unknown sync subcommand %q (expected %s)'):format(subcommand, table.concat(M.subcommands, ', ')), vim.log.levels.ERROR)
    done({ message = 'unknown subcommand' })
  end
end

return M

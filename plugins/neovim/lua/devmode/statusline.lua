-- `require('devmode').statusline()`: the active session's workload and sync state in a few characters, for any
-- statusline; empty when no session is active.

local devMode = require('devmode.devMode')
local progress = require('devmode.progress')

local M = {}

--- The text for one session, e.g. `DevMode ratings ✓ synced`, `DevMode ratings ↑3`, `DevMode ratings ✗ disconnected`.
function M.render(session)
  if not session then return '' end
  local name = session.target.name or session.target.pod or '?'
  if session.state == 'starting' then
    local step = progress.current()
    local phase = session.phase or (step and step.phase)
    return ('DevMode %s … %s'):format(name, phase or 'starting')
  end
  local sync = session.sync
  if not sync then return ('DevMode %s'):format(name) end
  if sync.state == 'disconnected' then return ('DevMode %s ✗ disconnected'):format(name) end
  if sync.state == 'error' then return ('DevMode %s ✗ sync error'):format(name) end
  if sync.state == 'paused' then return ('DevMode %s ⏸ paused'):format(name) end
  if sync.state == 'scanning' then return ('DevMode %s … scanning'):format(name) end
  if (sync.pendingFiles or 0) > 0 then return ('DevMode %s ↑%d'):format(name, sync.pendingFiles) end
  if sync.state == 'syncing' then return ('DevMode %s ↑'):format(name) end
  return ('DevMode %s ✓ synced'):format(name)
end

function M.statusline()
  return M.render(devMode.active())
end

return M

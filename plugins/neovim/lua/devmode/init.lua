-- devmode.nvim: Kubernetes DevMode from Neovim, a thin client of `devmode serve --stdio`.
--   require('devmode').setup({...})   options (see :help devmode-options); optional
--   require('devmode').statusline()   the active session's workload and sync state, '' when none

local config = require('devmode.config')

local M = {}

--- Sets the options. Everything also works without calling it.
---@param opts table|nil
function M.setup(opts)
  config.setup(opts)
end

--- A short text for any statusline, e.g. `DevMode ratings ✓ synced`; empty when no session is active.
function M.statusline()
  local ok, text = pcall(function() return require('devmode.statusline').statusline() end)
  return ok and text or ''
end

--- Runs `:DevMode` with `args` (as typed after the command name).
function M.command(args)
  require('devmode.commands').run({ args = args })
end

return M

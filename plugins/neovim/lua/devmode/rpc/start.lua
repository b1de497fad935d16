-- Starts a JSON-RPC server process through Neovim's own LSP-framed client, `vim.lsp.rpc.start`, whose call
-- signature changed in Neovim 0.10:
--   0.7 – 0.9:  start(cmd, cmd_args, dispatchers, extra_spawn_params)
--   0.10+:      start(cmd_list, dispatchers, extra_spawn_params)   (cmd must be a table)
-- and whose returned client gained `terminate`/`is_closing` only in 0.8. This module hides both differences.

local M = {}

--- Whether the running Neovim uses the 0.10+ signature.
---@return boolean
function M.has_list_signature()
  return vim.fn.has('nvim-0.10') == 1
end

---@class devmode.RpcHandle
---@field pid integer|nil
---@field request fun(method: string, params: any, callback: fun(err: table|nil, result: any)): boolean, integer|nil
---@field notify fun(method: string, params: any): boolean
---@field terminate fun()

--- Starts `cmd` (a list: program then arguments) and returns a handle with the same four members on every version.
---@param cmd string[]
---@param dispatchers table notification, server_request, on_exit, on_error
---@param extra { cwd: string|nil, env: table<string, string>|nil }
---@param rpc table|nil the `vim.lsp.rpc` module; tests pass a fake
---@param list_signature boolean|nil the 0.10+ signature; tests pass it
---@return devmode.RpcHandle
function M.start(cmd, dispatchers, extra, rpc, list_signature)
  rpc = rpc or vim.lsp.rpc
  if list_signature == nil then list_signature = M.has_list_signature() end
  local client
  if list_signature then
    client = rpc.start(cmd, dispatchers, extra)
  else
    client = rpc.start(cmd[1], vim.list_slice(cmd, 2), dispatchers, extra)
  end
  return {
    pid = client.pid,
    request = client.request,
    notify = client.notify,
    terminate = function()
      if client.terminate then
        client.terminate()
      elseif client.handle and not client.handle:is_closing() then
        -- 0.7's client has no terminate; its handle is the luv process.
        client.handle:kill(15)
      end
    end,
  }
end

return M

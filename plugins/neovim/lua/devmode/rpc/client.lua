-- A JSON-RPC client of the devmode server: spawns the process through the version shim (rpc/start.lua), keeps
-- the plugin's code away from JSON null (vim.NIL), sends `{}` rather than `[]` for empty params, answers the
-- requests the server sends, and turns a response error into a table with the protocol's error name.

local protocol = require('devmode.protocol')
local start = require('devmode.rpc.start')

local M = {}

local islist = vim.islist or vim.tbl_islist

--- A copy of a decoded JSON value with every vim.NIL removed: null object fields disappear and a null array
--- element becomes a hole-free list of the rest, so the plugin reads absent and null the same way.
---@param value any
---@return any
function M.without_nulls(value)
  if value == vim.NIL then return nil end
  if type(value) ~= 'table' then return value end
  local copy = {}
  if islist(value) then
    for _, item in ipairs(value) do
      if item ~= vim.NIL then copy[#copy + 1] = M.without_nulls(item) end
    end
  else
    for key, item in pairs(value) do
      copy[key] = M.without_nulls(item)
    end
  end
  return copy
end

--- Params as they go on the wire: nil stays absent, an empty table is the JSON object `{}`.
---@param params table|nil
---@return table|nil
function M.wire_params(params)
  if params == nil then return nil end
  if type(params) == 'table' and next(params) == nil then return vim.empty_dict() end
  return params
end

---@class devmode.RpcError
---@field code integer
---@field name string|nil the protocol's name for the code, e.g. `RequestCancelled`
---@field message string
---@field data table|nil `hint`, `retryable`, `file`, `line`, `field`

--- A response error as the plugin shows it.
---@param err table
---@return devmode.RpcError
function M.error_of(err)
  err = M.without_nulls(err) or {}
  return {
    code = err.code,
    name = err.code and protocol.errorName(err.code) or nil,
    message = err.message or 'unknown error',
    data = err.data,
  }
end

--- One line for a person: the message, then the hint when there is one.
---@param err devmode.RpcError
---@return string
function M.describe(err)
  local text = err.message
  if err.data and err.data.hint then text = text .. '\n' .. err.data.hint end
  return text
end

---@class devmode.Client
---@field handle devmode.RpcHandle
---@field closed boolean
local Client = {}
Client.__index = Client

---@class devmode.ClientOptions
---@field cmd string[]
---@field cwd string|nil
---@field env table<string, string>|nil
---@field on_notification fun(method: string, params: any)
---@field on_request fun(method: string, params: any): any, devmode.RpcError|nil result, or nil and an error
---@field on_exit fun(code: integer, signal: integer)

--- Spawns the server. Callbacks run in the main loop (never in a luv callback).
---@param options devmode.ClientOptions
---@param rpc table|nil a fake `vim.lsp.rpc` for tests
---@return devmode.Client
function M.spawn(options, rpc)
  local self = setmetatable({ closed = false }, Client)
  local dispatchers = {
    notification = function(method, params)
      options.on_notification(method, M.without_nulls(params))
    end,
    server_request = function(method, params)
      local result, err = options.on_request(method, M.without_nulls(params))
      if err then
        return nil, vim.lsp.rpc.rpc_response_error(err.code, err.message, err.data)
      end
      -- A nil result would be read as "no answer"; null is the answer.
      if result == nil then return vim.NIL, nil end
      return result, nil
    end,
    on_exit = function(code, signal)
      self.closed = true
      -- 0.7 calls on_exit from a luv callback, where the editor's API may not be used.
      vim.schedule(function() options.on_exit(code, signal) end)
    end,
    on_error = function() end,
  }
  self.handle = start.start(options.cmd, dispatchers, { cwd = options.cwd, env = options.env }, rpc)
  return self
end

--- Sends a request; `callback(err, result)` gets a devmode.RpcError or the result, nulls removed.
---@return integer|nil id the request's id, for `$/cancelRequest`
function Client:request(method, params, callback)
  if self.closed then
    vim.schedule(function() callback({ code = -32099, message = 'the devmode server is not running' }, nil) end)
    return nil
  end
  local ok, id = self.handle.request(method, M.wire_params(params), function(err, result)
    if err then
      callback(M.error_of(err), nil)
    else
      callback(nil, M.without_nulls(result))
    end
  end)
  if not ok then
    vim.schedule(function() callback({ code = -32099, message = 'the devmode server is not running' }, nil) end)
    return nil
  end
  return id
end

--- Sends a notification.
function Client:notify(method, params)
  if self.closed then return false end
  return self.handle.notify(method, M.wire_params(params))
end

--- Asks the server to give up a request; it still answers it (with `RequestCancelled` or its result).
function Client:cancel(id)
  return self:notify('$/cancelRequest', { id = id })
end

--- Kills the process without the shutdown handshake (used when it does not answer).
function Client:terminate()
  if not self.closed then self.handle.terminate() end
end

--- Sends a request and waits for its answer, pumping the event loop; for the health check and tests.
---@return table|nil err, any result
function Client:request_sync(method, params, timeout_ms)
  local done, err, result = false, nil, nil
  self:request(method, params, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout_ms or 10000, function() return done end, 10) then
    return { code = -32099, message = method .. ' got no answer within ' .. (timeout_ms or 10000) .. ' ms' }, nil
  end
  return err, result
end

M.Client = Client
return M

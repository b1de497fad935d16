-- The plugin's options: their defaults, `setup()` merging, and where the server binary is found.

local M = {}

---@class devmode.Options
M.defaults = {
  --- The devmode binary; nil looks for `devmode` on PATH, then the repository's `dist/devmode`.
  ---@type string|nil
  server_path = nil,
  --- Extra environment for the server process (e.g. `{ KUBECONFIG = '...' }`).
  ---@type table<string, string>
  server_env = {},
  --- The kubeconfig file(s) the server uses instead of KUBECONFIG or ~/.kube/config.
  ---@type string|nil
  kubeconfig = nil,
  --- The namespace `:DevMode start kind/name` uses when no `-n` is given.
  namespace = 'default',
  --- The sidebar: its width and side (`left` or `right`).
  tree = { width = 40, position = 'left' },
  --- How the plugin restarts a server that crashed: attempts, first delay, longest delay (milliseconds).
  restart = { max_attempts = 5, first_delay_ms = 500, max_delay_ms = 10000 },
  --- The lowest `window/logMessage` type also shown through vim.notify (1 error … 4 log); 0 shows none.
  notify_log_level = 1,
  --- The command that opens the window of a new terminal.
  terminal = { split = 'belowright split' },
  --- Lines of history a logs buffer asks for when it opens.
  logs = { tail_lines = 200, split = 'belowright split' },
  --- The nvim-dap adapter `:DevMode debug` attaches through, per debug kind: the names nvim-dap-vscode-js,
  --- nvim-dap-python, nvim-jdtls and nvim-dap-go register.
  debug_adapters = { node = 'pwa-node', python = 'python', java = 'java', go = 'go' },
}

---@type devmode.Options
M.options = vim.deepcopy(M.defaults)

--- Merges user options over the defaults; unknown keys are kept (and ignored).
---@param opts table|nil
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
end

--- The folder holding this plugin's `lua/` directory.
function M.plugin_root()
  local source = debug.getinfo(1, 'S').source:sub(2)
  return vim.fn.fnamemodify(source, ':p:h:h:h')
end

--- The repository's built single binary, when the plugin runs from a checkout of the devmode repository.
function M.repo_binary()
  return vim.fn.fnamemodify(M.plugin_root() .. '/../../dist/devmode', ':p')
end

--- The binary the plugin runs, and where it came from; nil and a message saying what to do when there is none.
---@return string|nil path, string how_found_or_error
function M.server_binary()
  local configured = M.options.server_path
  if configured and configured ~= '' then
    local expanded = vim.fn.expand(configured)
    if vim.fn.executable(expanded) == 1 then return expanded, 'server_path' end
    return nil, ('server_path %q is not an executable file'):format(configured)
  end
  local on_path = vim.fn.exepath('devmode')
  if on_path ~= '' then return on_path, 'PATH' end
  local repo = M.repo_binary()
  if vim.fn.executable(repo) == 1 then return repo, 'the repository build' end
  return nil,
    'no devmode binary: put `devmode` on PATH, set server_path in require("devmode").setup{}, or run `npm run build:binary` in the repository'
end

return M

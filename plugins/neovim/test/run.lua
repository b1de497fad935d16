-- Entry point inside headless Neovim: runs the suite named by DEVMODE_NVIM_SUITE (`unit` or `e2e`) and exits
-- with cquit on any failure. Started by test/run.mjs, which wraps it in pcall and a timeout.

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
package.path = here .. '/?.lua;' .. package.path

local H = require('harness')
H.say(('%s, suite %s'):format(vim.split(vim.fn.execute('version'), '\n', { trimempty = true })[1], os.getenv('DEVMODE_NVIM_SUITE') or '?'))

local suite = os.getenv('DEVMODE_NVIM_SUITE')
if suite == 'unit' then
  for _, file in ipairs(vim.fn.glob(here .. '/unit/*_spec.lua', false, true)) do
    H.suite = vim.fn.fnamemodify(file, ':t:r') .. ': '
    dofile(file)
  end
elseif suite == 'e2e' then
  dofile(here .. '/e2e/e2e_spec.lua')
else
  error('DEVMODE_NVIM_SUITE must be unit or e2e, got ' .. tostring(suite))
end
H.finish()

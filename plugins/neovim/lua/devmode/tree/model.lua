-- The tree as the sidebar knows it: the nodes read so far through `tree/children`, which are expanded, and the
-- rows to draw. No Neovim buffers here, so it is unit-tested on its own.

local ROOT = ''

---@class devmode.TreeModel
---@field nodes table<string, devmode.TreeNode>
---@field children table<string, string[]> child ids by parent id (ROOT for the top level), once read
---@field expanded table<string, boolean>
---@field parent table<string, string>
local Model = {}
Model.__index = Model
Model.ROOT = ROOT

function Model.new()
  return setmetatable({ nodes = {}, children = {}, expanded = {}, parent = {} }, Model)
end

--- Forgets a node and everything below it.
function Model:forget(id)
  for _, child in ipairs(self.children[id] or {}) do self:forget(child) end
  self.nodes[id], self.children[id], self.expanded[id], self.parent[id] = nil, nil, nil, nil
end

--- Stores the children just read for `parent_id` (nil for the top level). Children that are still there keep
--- their own children and expansion; children that are gone are forgotten with their subtrees.
---@param parent_id string|nil
---@param nodes devmode.TreeNode[]
function Model:set_children(parent_id, nodes)
  parent_id = parent_id or ROOT
  local still = {}
  for _, node in ipairs(nodes) do still[node.id] = true end
  for _, old in ipairs(self.children[parent_id] or {}) do
    if not still[old] then self:forget(old) end
  end
  local ids = {}
  for _, node in ipairs(nodes) do
    self.nodes[node.id] = node
    self.parent[node.id] = parent_id
    if not node.hasChildren then
      self.children[node.id], self.expanded[node.id] = nil, nil
    end
    table.insert(ids, node.id)
  end
  self.children[parent_id] = ids
end

--- Whether the children of `id` (nil for the top level) have been read.
function Model:loaded(id)
  return self.children[id or ROOT] ~= nil
end

--- Expands or collapses a node. Returns true when the children must be read first.
---@return boolean needs_children
function Model:toggle(id)
  local node = self.nodes[id]
  if not node or not node.hasChildren then return false end
  self.expanded[id] = not self.expanded[id]
  return self.expanded[id] and not self:loaded(id)
end

---@class devmode.TreeRow
---@field node devmode.TreeNode
---@field depth integer
---@field expanded boolean

--- The rows to draw, top to bottom: every node whose ancestors are all expanded.
---@return devmode.TreeRow[]
function Model:rows()
  local rows = {}
  local function walk(parent_id, depth)
    for _, id in ipairs(self.children[parent_id] or {}) do
      local node = self.nodes[id]
      table.insert(rows, { node = node, depth = depth, expanded = self.expanded[id] == true })
      if self.expanded[id] then walk(id, depth + 1) end
    end
  end
  walk(ROOT, 0)
  return rows
end

--- Which nodes to read again for a `tree/didChange`: the named ones whose children were read (the top level
--- for an empty id), ignoring ids the sidebar never showed.
---@param node_ids string[]
---@return string[] parent ids; ROOT ('') stands for the top level
function Model:to_refetch(node_ids)
  local result, seen = {}, {}
  for _, id in ipairs(node_ids) do
    local key = id == '' and ROOT or id
    if not seen[key] and self.children[key] ~= nil then
      seen[key] = true
      table.insert(result, key)
    end
  end
  return result
end

--- Every read node whose children are shown, top level first, to read again after a server restart.
---@return string[] ids (ROOT for the top level)
function Model:loaded_ids()
  local ids = { ROOT }
  for _, row in ipairs(self:rows()) do
    if row.expanded then table.insert(ids, row.node.id) end
  end
  return ids
end

--- The node of a kind with a label, among the nodes read so far.
function Model:find(kind, label)
  for _, row in ipairs(self:rows()) do
    if row.node.kind == kind and row.node.label == label then return row.node end
  end
  for _, node in pairs(self.nodes) do
    if node.kind == kind and node.label == label then return node end
  end
  return nil
end

--- The text of one row.
---@param row devmode.TreeRow
---@param glyphs table<string, string> state -> glyph
function Model.line(row, glyphs)
  local node = row.node
  local marker = node.hasChildren and (row.expanded and '▾' or '▸') or ' '
  local glyph = node.state and glyphs[node.state] or nil
  local text = string.rep('  ', row.depth) .. marker .. ' ' .. (glyph and (glyph .. ' ') or '') .. node.label
  if node.description and node.description ~= '' then text = text .. '  ' .. node.description end
  return text
end

return Model

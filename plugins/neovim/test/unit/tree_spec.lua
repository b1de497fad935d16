-- The sidebar's tree model: lazy children, expansion, re-reads driven by tree/didChange, rows and their text.

local H = require('harness')
local Model = require('devmode.tree.model')

local function node(id, kind, label, has_children, extra)
  return vim.tbl_extend('force', { id = id, kind = kind, label = label, hasChildren = has_children, actions = {} }, extra or {})
end

local function labels(model)
  local out = {}
  for _, row in ipairs(model:rows()) do table.insert(out, string.rep('.', row.depth) .. row.node.label) end
  return out
end

H.test('the top level shows collapsed nodes until one is expanded', function()
  local m = Model.new()
  H.eq(m:loaded(nil), false, 'nothing read yet')
  m:set_children(nil, { node('context/a', 'context', 'a', true), node('context/b', 'context', 'b', true) })
  H.eq(labels(m), { 'a', 'b' }, 'rows')
  H.eq(m:toggle('context/a'), true, 'children must be read')
  m:set_children('context/a', { node('namespace/a/default', 'namespace', 'default', true) })
  H.eq(labels(m), { 'a', '.default', 'b' }, 'rows after expanding')
  H.eq(m:toggle('context/a'), false, 'collapsing reads nothing')
  H.eq(labels(m), { 'a', 'b' }, 'rows after collapsing')
  H.eq(m:toggle('context/a'), false, 'expanding again uses what was read')
  H.eq(labels(m), { 'a', '.default', 'b' }, 'rows after expanding again')
end)

H.test('a leaf does not expand', function()
  local m = Model.new()
  m:set_children(nil, { node('container/x', 'container', 'x', false) })
  H.eq(m:toggle('container/x'), false, 'toggle')
  H.eq(m.expanded['container/x'], nil, 'not expanded')
end)

H.test('re-reading keeps the expansion of nodes still there and forgets vanished subtrees', function()
  local m = Model.new()
  m:set_children(nil, { node('g', 'group', 'Deployments', true) })
  m:toggle('g')
  m:set_children('g', { node('w1', 'workload', 'ratings', true), node('w2', 'workload', 'reviews', true) })
  m:toggle('w1')
  m:set_children('w1', { node('p1', 'pod', 'ratings-1', true) })
  m:toggle('w2')
  m:set_children('w2', { node('p2', 'pod', 'reviews-1', true) })
  m:set_children('g', { node('w1', 'workload', 'ratings', true, { state = 'devMode-mine' }) })
  H.eq(labels(m), { 'Deployments', '.ratings', '..ratings-1' }, 'rows')
  H.eq(m.nodes.w1.state, 'devMode-mine', 'the node is updated')
  H.eq(m.nodes.p2, nil, 'the vanished subtree is forgotten')
  H.eq(m.expanded.w2, nil, 'the vanished node is not expanded')
end)

H.test('tree/didChange re-reads only nodes whose children were read', function()
  local m = Model.new()
  m:set_children(nil, { node('c', 'context', 'c', true), node('d', 'context', 'd', true) })
  m:toggle('c')
  m:set_children('c', {})
  H.eq(m:to_refetch({ 'c', 'd', 'never-seen', 'c' }), { 'c' }, 'ids')
  H.eq(m:to_refetch({ '' }), { Model.ROOT }, 'the top level')
  H.eq(m:loaded_ids(), { Model.ROOT, 'c' }, 'what a restart re-reads')
end)

H.test('a row shows the expansion marker, the state glyph, the label and the description', function()
  local glyphs = { running = '●' }
  local row = { node = node('w', 'workload', 'ratings', true, { state = 'running', description = '2/2 ready' }), depth = 2, expanded = false }
  H.eq(Model.line(row, glyphs), '    ▸ ● ratings  2/2 ready', 'collapsed')
  row.expanded = true
  H.eq(Model.line(row, glyphs), '    ▾ ● ratings  2/2 ready', 'expanded')
  H.eq(Model.line({ node = node('x', 'container', 'main', false), depth = 0, expanded = false }, glyphs), '  main', 'leaf')
end)

class_name SettingsLayerEditor
extends VBoxContainer
## A custom layer list (arch "custom": the encoder's or the decoder's `{type, ...keys}` maps) as
## rows a user edits: each row is a layer type and that type's keys (from `model.list`
## "layers"), with buttons to move it up or down or remove it, the shape that comes out of it
## once the server has checked the list, and a line for the error that names it.

## The list changed (a row added, removed, moved, retyped, or a key committed).
signal changed

## The layer type a new row starts as.
const NEW_LAYER_TYPE: String = "linear"

## layer type -> {key: Param}, from `model.list` "layers".
var layer_types: Dictionary = {}
## True once the user changed the list; the backend's list no longer replaces it until
## [method clear_pending].
var pending: bool = false

var _title: Label
var _summary: Label
var _message: Label
var _rows_box: VBoxContainer
var _add_button: Button
var _rows: Array[LayerRow] = []


## Builds the header for the list called `title` ("encoder", "decoder") with these layer types.
func setup(title: String, types: Dictionary) -> void:
	name = title.capitalize() + "Editor"
	layer_types = types
	add_theme_constant_override("separation", 4)
	var top := HBoxContainer.new()
	top.name = "Top"
	add_child(top)
	_title = Label.new()
	_title.text = "%s layers" % title.capitalize()
	_title.theme_type_variation = &"HeaderSmall"
	top.add_child(_title)
	_summary = Label.new()
	_summary.theme_type_variation = &"DimLabel"
	_summary.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_summary.clip_text = true
	top.add_child(_summary)
	_add_button = Button.new()
	_add_button.name = "AddButton"
	_add_button.text = "+ Layer"
	_add_button.tooltip_text = "Add a layer at the end of the %s" % title
	_add_button.pressed.connect(func() -> void: add_layer(NEW_LAYER_TYPE))
	top.add_child(_add_button)
	_message = Label.new()
	_message.name = "Message"
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_message.add_theme_color_override("font_color", StudioPalette.ERROR)
	_message.visible = false
	add_child(_message)
	_rows_box = VBoxContainer.new()
	_rows_box.name = "Rows"
	_rows_box.add_theme_constant_override("separation", 2)
	add_child(_rows_box)


## Shows the backend's list unless the user has changed it; true when shown.
func show_layers(specs: Variant) -> bool:
	if pending:
		return false
	var list: Array = specs if specs is Array else []
	if not SettingsParam.same(list, layers()):
		set_layers(list)
	return true


## Replaces the rows with `specs` (a list of {type, ...} maps).
func set_layers(specs: Array) -> void:
	for row: LayerRow in _rows:
		_rows_box.remove_child(row)
		row.queue_free()
	_rows.clear()
	for spec: Variant in specs:
		if spec is Dictionary:
			_insert_row(spec, _rows.size())
	_renumber()


## The list as the server takes it: one {type, key: value} map per row (keys whose text is
## refused are left out: see [method problems]).
func layers() -> Array:
	var out: Array = []
	for row: LayerRow in _rows:
		out.append(row.spec())
	return out


## row index -> the sentence saying why a key's text is refused, for each such row.
func problems() -> Dictionary:
	var out: Dictionary = {}
	for i: int in _rows.size():
		var why: String = _rows[i].problem()
		if not why.is_empty():
			out[i] = why
	return out


## Shows under each row whose key text is refused why; returns how many there are.
func show_problems() -> int:
	var found: Dictionary = problems()
	for i: int in found:
		_rows[i].show_message(found[i])
	return found.size()


func row_count() -> int:
	return _rows.size()


## Adds a layer of `layer_type` (its keys at their defaults) at `at` (-1: the end).
func add_layer(layer_type: String, at: int = -1) -> void:
	var index: int = _rows.size() if at < 0 or at > _rows.size() else at
	_insert_row({"type": layer_type}, index)
	_renumber()
	mark_changed()


func remove_layer(index: int) -> void:
	if index < 0 or index >= _rows.size():
		return
	var row: LayerRow = _rows[index]
	_rows.remove_at(index)
	_rows_box.remove_child(row)
	row.queue_free()
	_renumber()
	mark_changed()


## Moves row `index` by `delta` places (-1 up, +1 down), staying inside the list.
func move_layer(index: int, delta: int) -> void:
	var to: int = index + delta
	if index < 0 or index >= _rows.size() or to < 0 or to >= _rows.size():
		return
	var row: LayerRow = _rows[index]
	_rows.remove_at(index)
	_rows.insert(to, row)
	_rows_box.move_child(row, to)
	_renumber()
	mark_changed()


## Gives row `index` another type, as its option button does (keys of the same name keep their
## value).
func set_layer_type(index: int, layer_type: String) -> void:
	if index >= 0 and index < _rows.size() and layer_types.has(layer_type):
		_rows[index].retype(layer_type)
		mark_changed()


## Types `text` into key `key` of row `index` and commits it, as a user does.
func enter(index: int, key: String, text: String) -> bool:
	if index < 0 or index >= _rows.size():
		return false
	var f: SettingsField = _rows[index].fields.get(key)
	return f != null and f.enter(text)


## Shows, after each row, the shape that comes out of it (`entries`: [[type, [shape]]...] as
## `model.check` gives them); `parameters` (< 0: unknown) goes into the summary.
func show_shapes(entries: Array) -> void:
	for i: int in _rows.size():
		var text: String = ""
		if i < entries.size() and entries[i] is Array and (entries[i] as Array).size() >= 2:
			text = "→ " + SettingsParam.shape_text(entries[i][1])
		_rows[i].shape_label.text = text


## Shows `text` under row `index` (out of range: under the header); "" clears it.
func show_layer_error(index: int, text: String) -> void:
	if index < 0 or index >= _rows.size():
		_show_error(text)
		return
	_rows[index].show_message(text)


## Shows `text` under the header (an error about the whole list); "" clears it.
func _show_error(text: String) -> void:
	_message.text = text
	_message.visible = not text.is_empty()


## The shape shown after row `index` ("→ 32×14×14"; "" before a check).
func layer_shape(index: int) -> String:
	return _rows[index].shape_label.text if index >= 0 and index < _rows.size() else ""


## The message shown under row `index` ("" when none).
func layer_message(index: int) -> String:
	if index < 0 or index >= _rows.size():
		return _message.text if _message.visible else ""
	return _rows[index].message.text if _rows[index].message.visible else ""


func clear_messages() -> void:
	_show_error("")
	for row: LayerRow in _rows:
		row.show_message("")
		row.shape_label.text = ""


## The layer types rows may take (`model.list` "layers") and the list's help beside the title.
func set_types(types: Dictionary, help: String) -> void:
	layer_types = types
	_summary.text = help
	_summary.tooltip_text = help


func clear_pending() -> void:
	pending = false
	SettingsField.mark_pending(_title, false)


func _insert_row(spec: Dictionary, index: int) -> void:
	var row := LayerRow.new()
	row.setup(self, str(spec.get("type", NEW_LAYER_TYPE)), spec)
	_rows.insert(index, row)
	_rows_box.add_child(row)
	_rows_box.move_child(row, index)


func _renumber() -> void:
	for i: int in _rows.size():
		_rows[i].set_index(i, _rows.size())
	if _rows.is_empty():
		_show_error("No layers: + Layer adds one.")
	elif _message.text == "No layers: + Layer adds one.":
		_show_error("")


## The user changed the list (the rows call it when a key is committed).
func mark_changed() -> void:
	pending = true
	SettingsField.mark_pending(_title, true)
	changed.emit()


## One layer: its number, type, keys, output shape, move and remove buttons, and its message.
class LayerRow:
	extends VBoxContainer

	var editor: SettingsLayerEditor
	var index: int = 0
	var layer_type: String = ""
	## key -> [SettingsField] of this layer's keys.
	var fields: Dictionary = {}
	var shape_label: Label
	var message: Label

	var _number: Label
	var _type_option: OptionButton
	var _keys: HFlowContainer
	var _up: Button
	var _down: Button

	func setup(owner_editor: SettingsLayerEditor, type_name: String, spec: Dictionary) -> void:
		editor = owner_editor
		add_theme_constant_override("separation", 1)
		var line := HBoxContainer.new()
		line.add_theme_constant_override("separation", 6)
		add_child(line)
		_number = Label.new()
		_number.theme_type_variation = &"MonoLabel"
		_number.custom_minimum_size = Vector2(20, 0)
		_number.horizontal_alignment = HORIZONTAL_ALIGNMENT_RIGHT
		line.add_child(_number)
		_type_option = OptionButton.new()
		_type_option.custom_minimum_size = Vector2(112, 0)
		_type_option.tooltip_text = 'The layer\'s type (model.list "layers")'
		for t: String in editor.layer_types:
			_type_option.add_item(t)
		_type_option.item_selected.connect(_on_type_selected)
		_type_option.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
		line.add_child(_type_option)
		_keys = HFlowContainer.new()
		_keys.size_flags_horizontal = Control.SIZE_EXPAND_FILL
		_keys.add_theme_constant_override("h_separation", 6)
		line.add_child(_keys)
		shape_label = Label.new()
		shape_label.theme_type_variation = &"DimLabel"
		shape_label.tooltip_text = "The shape out of this layer for one example (model.check)"
		shape_label.mouse_filter = Control.MOUSE_FILTER_PASS
		shape_label.custom_minimum_size = Vector2(72, 0)
		shape_label.horizontal_alignment = HORIZONTAL_ALIGNMENT_RIGHT
		line.add_child(shape_label)
		_up = _button(line, "▲", "Move this layer up", func() -> void: editor.move_layer(index, -1))
		_down = _button(
			line, "▼", "Move this layer down", func() -> void: editor.move_layer(index, 1)
		)
		_button(line, "✕", "Remove this layer", func() -> void: editor.remove_layer(index))
		message = Label.new()
		message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
		message.add_theme_color_override("font_color", StudioPalette.ERROR)
		message.visible = false
		add_child(message)
		_set_type(type_name, spec)

	func set_index(i: int, count: int) -> void:
		index = i
		name = "Layer%d" % i
		_number.text = str(i)
		_up.disabled = i == 0
		_down.disabled = i == count - 1

	## The layer as the server takes it: {type, key: value} for each accepted key.
	func spec() -> Dictionary:
		var out: Dictionary = {"type": layer_type}
		for key: String in fields:
			var read: Dictionary = (fields[key] as SettingsField).read()
			if not read.has("error") and read["value"] != null:
				out[key] = read["value"]
		return out

	func problem() -> String:
		for key: String in fields:
			var read: Dictionary = (fields[key] as SettingsField).read()
			if read.has("error"):
				return "%s %s" % [key, read["error"]]
		return ""

	func retype(type_name: String) -> void:
		_set_type(type_name, spec())

	func show_message(text: String) -> void:
		message.text = text
		message.tooltip_text = text
		message.visible = not text.is_empty()

	## Fields for `type_name`'s keys, valued from `spec` where it has them, else their default.
	func _set_type(type_name: String, spec_values: Dictionary) -> void:
		layer_type = type_name
		var types: PackedStringArray = PackedStringArray(editor.layer_types.keys())
		_type_option.select(types.find(type_name))
		for child: Node in _keys.get_children():
			_keys.remove_child(child)
			child.queue_free()
		fields.clear()
		var keys: Variant = editor.layer_types.get(type_name, {})
		if not keys is Dictionary:
			return
		for key: String in keys:
			var pair := HBoxContainer.new()
			pair.add_theme_constant_override("separation", 3)
			_keys.add_child(pair)
			var label := Label.new()
			label.text = key
			label.theme_type_variation = &"DimLabel"
			pair.add_child(label)
			var param: Dictionary = keys[key]
			if param.get("default") == null:
				# A layer key without a default must be given ("out" of a linear layer).
				param = param.duplicate()
				param["required"] = true
			var f := SettingsField.new()
			f.setup(key, param)
			f.size_flags_horizontal = Control.SIZE_FILL
			f.custom_minimum_size = Vector2(70 if f.editor is OptionButton else 54, 0)
			if spec_values.has(key):
				f.show_value(spec_values[key])
			f.committed.connect(_on_key_committed)
			pair.add_child(f)
			fields[key] = f

	func _on_type_selected(i: int) -> void:
		editor.set_layer_type(index, _type_option.get_item_text(i))

	func _on_key_committed(key: String, ok: bool) -> void:
		var f: SettingsField = fields[key]
		show_message("" if ok else "%s %s" % [key, f.error])
		if ok:
			editor.mark_changed()

	static func _button(line: HBoxContainer, text: String, tip: String, on: Callable) -> Button:
		var button := Button.new()
		button.text = text
		button.tooltip_text = tip
		button.flat = true
		button.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
		button.pressed.connect(on)
		line.add_child(button)
		return button

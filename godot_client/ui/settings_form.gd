class_name SettingsForm
extends VBoxContainer
## A form built from a {key: Param} map ([SettingsParam]): one row per setting with its name, its
## editor ([SettingsField]) and its unit; its help as the tooltip (with
## [member captions], also as a short line under it); and a line for its message: the client's
## refusal, the server's error or "applied". It reads and writes values by key; the backend's
## values never overwrite a field the user is typing in or has changed ([method pending_keys]).

## The user committed a value the descriptor accepts.
signal committed(key: String, value: Variant)
## The user committed text the descriptor refuses; the row shows `message`.
signal refused(key: String, message: String)
## A path field's Browse… button was pressed.
signal browse_requested(key: String)

const LABEL_WIDTH: float = 124.0
## Longest help shown as a caption (the tooltip holds all of it).
const CAPTION_CHARS: int = 110

## key -> [SettingsField], in the descriptor map's order.
var fields: Dictionary = {}
## Show each setting's help as a line under it (for short forms, e.g. a model's parameters).
var captions: bool = false
## Room after each editor for its unit (0: only as wide as the unit).
var tag_width: float = 0.0

var _names: Dictionary = {}
var _messages: Dictionary = {}
var _rows: Dictionary = {}


func _init() -> void:
	add_theme_constant_override("separation", 4)


## Replaces the rows with one per key of `params` (each a Param map); keys of a type in
## `skip_types` (e.g. "layers", edited elsewhere) get none.
func build(params: Dictionary, skip_types: PackedStringArray = ["layers"]) -> void:
	for child: Node in get_children():
		remove_child(child)
		child.queue_free()
	fields.clear()
	_names.clear()
	_messages.clear()
	_rows.clear()
	for key: Variant in params:
		var param: Variant = params[key]
		if not param is Dictionary:
			# An older backend lists {name: default}: the default's type stands in.
			param = SettingsParam.from_default(param)
		if SettingsParam.type_of(param) not in skip_types:
			_add_row(str(key), param)


## Adds a section title (and a dim summary line beside it, returned) to `box`.
static func add_header(box: BoxContainer, title_text: String) -> Label:
	var top := HBoxContainer.new()
	top.name = "Top"
	box.add_child(top)
	var title := Label.new()
	title.text = title_text
	title.theme_type_variation = &"HeaderLarge"
	top.add_child(title)
	var summary := Label.new()
	summary.theme_type_variation = &"DimLabel"
	summary.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	summary.horizontal_alignment = HORIZONTAL_ALIGNMENT_RIGHT
	summary.clip_text = true
	top.add_child(summary)
	return summary


func keys() -> PackedStringArray:
	return PackedStringArray(fields.keys())


func field(key: String) -> SettingsField:
	return fields.get(key)


## Every field's value that its descriptor accepts (refused ones are left out: see
## [method problems]).
func values() -> Dictionary:
	var out: Dictionary = {}
	for key: String in fields:
		var read: Dictionary = (fields[key] as SettingsField).read()
		if not read.has("error"):
			out[key] = read["value"]
	return out


## key -> the sentence saying why its text is refused, for every refused field.
func problems() -> Dictionary:
	var out: Dictionary = {}
	for key: String in fields:
		var read: Dictionary = (fields[key] as SettingsField).read()
		if read.has("error"):
			out[key] = "%s %s" % [key, read["error"]]
	return out


## Shows the backend's `values` (key -> value; keys the form lacks are ignored), except in fields
## the user is typing in or has changed.
func show_values(new_values: Dictionary) -> void:
	for key: Variant in new_values:
		var f: SettingsField = fields.get(str(key))
		if f != null:
			f.show_value(new_values[key])


## Types `text` into the field `key` and commits it, as a user does; false when refused or
## when there is no such field.
func enter(key: String, text: String) -> bool:
	var f: SettingsField = fields.get(key)
	return f != null and f.enter(text)


## Shows `text` on the line under field `key` ("" hides it); false when there is no such field.
func show_message(key: String, text: String, color: Color = StudioPalette.ERROR) -> bool:
	var label: Label = _messages.get(key)
	if label == null:
		return false
	label.text = text
	label.tooltip_text = text
	label.visible = not text.is_empty()
	label.add_theme_color_override("font_color", color)
	return true


## The message under field `key` ("" when none is shown).
func message_of(key: String) -> String:
	var label: Label = _messages.get(key)
	return label.text if label != null and label.visible else ""


func clear_messages() -> void:
	for key: String in _messages:
		show_message(key, "")


## Shows under each refused field why; returns how many there are.
func show_problems() -> int:
	var found: Dictionary = problems()
	for key: String in found:
		show_message(key, found[key])
	return found.size()


## The keys whose fields hold a change of the user's that the backend has not taken yet.
func pending_keys() -> PackedStringArray:
	var out: PackedStringArray = []
	for key: String in fields:
		if (fields[key] as SettingsField).pending:
			out.append(key)
	return out


## Forgets every change of the user's (after New run took them, or Revert).
func clear_pending() -> void:
	for key: String in fields:
		(fields[key] as SettingsField).clear_pending()
		_mark(key)


## Forgets the user's change of `key` and shows `value` (a live key the backend took).
func accept_value(key: String, value: Variant) -> void:
	var f: SettingsField = fields.get(key)
	if f != null:
		f.clear_pending()
		f.show_value(value)
		_mark(key)


func set_row_visible(key: String, shown: bool) -> void:
	var row: Control = _rows.get(key)
	if row != null:
		row.visible = shown


func set_enabled(enabled: bool) -> void:
	for key: String in fields:
		(fields[key] as SettingsField).set_enabled(enabled)


func _add_row(key: String, param: Dictionary) -> void:
	var row := VBoxContainer.new()
	row.name = key.to_pascal_case()
	row.add_theme_constant_override("separation", 1)
	add_child(row)
	_rows[key] = row
	var line := HBoxContainer.new()
	line.add_theme_constant_override("separation", 6)
	row.add_child(line)
	var label := Label.new()
	label.text = key
	label.custom_minimum_size = Vector2(LABEL_WIDTH, 0)
	label.clip_text = true
	label.mouse_filter = Control.MOUSE_FILTER_PASS
	label.tooltip_text = SettingsParam.describe(key, param)
	line.add_child(label)
	_names[key] = label
	var f := SettingsField.new()
	f.setup(key, param)
	f.committed.connect(_on_committed)
	f.browse_requested.connect(func(k: String) -> void: browse_requested.emit(k))
	line.add_child(f)
	fields[key] = f
	_add_tag(line, param)
	if captions:
		_add_caption(row, str(param.get("help", "")))
	var message := Label.new()
	message.name = "Message"
	message.theme_type_variation = &"DimLabel"
	message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	message.visible = false
	row.add_child(message)
	_messages[key] = message


## The unit after the editor. With [member tag_width] every row keeps that room, so the
## editors line up.
func _add_tag(line: HBoxContainer, param: Dictionary) -> void:
	var unit: String = str(param.get("unit", ""))
	if unit.is_empty() and tag_width <= 0.0:
		return
	var tag := Label.new()
	tag.name = "Tag"
	tag.custom_minimum_size = Vector2(tag_width, 0)
	tag.text = unit
	tag.theme_type_variation = &"DimLabel"
	line.add_child(tag)


static func _add_caption(row: VBoxContainer, help: String) -> void:
	var text: String = help.strip_edges()
	if text.is_empty():
		return
	if text.length() > CAPTION_CHARS:
		text = text.left(CAPTION_CHARS - 1).strip_edges() + "…"
	var caption := Label.new()
	caption.name = "Caption"
	caption.text = text
	caption.theme_type_variation = &"DimLabel"
	caption.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	row.add_child(caption)


func _on_committed(key: String, ok: bool) -> void:
	var f: SettingsField = fields[key]
	_mark(key)
	if not ok:
		var text: String = "%s %s" % [key, f.error]
		show_message(key, text)
		refused.emit(key, text)
		return
	show_message(key, "")
	committed.emit(key, f.read()["value"])


## A changed, not yet applied field has its name in the accent colour.
func _mark(key: String) -> void:
	var label: Label = _names.get(key)
	var f: SettingsField = fields.get(key)
	if label == null or f == null:
		return
	SettingsField.mark_pending(label, f.pending)

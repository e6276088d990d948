class_name SettingsField
extends HBoxContainer
## The editor of one setting, made from its descriptor ([SettingsParam]): a check box for a
## bool, an option button for a choice, a line edit for anything typed (with a Browse… button
## for a server path). It knows the value it last showed from the backend ([member shown]),
## whether the user has changed it since ([member pending]) and whether they are typing in it.

## The user committed a value: Enter, leaving the line edit, a toggle or a pick. `ok` is false
## when the text was refused; [member error] then says why.
signal committed(key: String, ok: bool)
## The Browse… button of a path field was pressed.
signal browse_requested(key: String)

var key: String = ""
var param: Dictionary = {}
## The check box, option button or line edit.
var editor: Control
var browse_button: Button
## The value shown from the backend (or the default), which [method show_value] sets.
var shown: Variant = null
## True once the user committed a value other than [member shown]: the backend's values no
## longer overwrite it until [method clear_pending].
var pending: bool = false
## Why the typed text was refused ("" when it is fine).
var error: String = ""

var _typing: bool = false


## Builds the editor for `field_key` described by `descriptor`.
func setup(field_key: String, descriptor: Dictionary) -> void:
	key = field_key
	param = descriptor
	name = field_key.to_pascal_case()
	size_flags_horizontal = Control.SIZE_EXPAND_FILL
	add_theme_constant_override("separation", 4)
	match SettingsParam.type_of(param):
		"bool":
			var check := CheckBox.new()
			check.toggled.connect(func(_on: bool) -> void: _commit())
			editor = check
		"choice":
			var option := OptionButton.new()
			for choice: Variant in SettingsParam.choices_of(param):
				option.add_item(SettingsParam.choice_text(choice))
			option.item_selected.connect(func(_i: int) -> void: _commit())
			option.fit_to_longest_item = false
			option.clip_text = true
			editor = option
		_:
			var edit := LineEdit.new()
			edit.placeholder_text = _placeholder()
			edit.text_submitted.connect(func(_t: String) -> void: _commit())
			edit.focus_exited.connect(_on_focus_exited)
			edit.text_changed.connect(func(_t: String) -> void: _typing = true)
			edit.select_all_on_focus = true
			editor = edit
	editor.name = "Editor"
	editor.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	editor.tooltip_text = SettingsParam.describe(key, param)
	add_child(editor)
	if SettingsParam.type_of(param) == "path":
		browse_button = Button.new()
		browse_button.name = "Browse"
		browse_button.text = "Browse…"
		browse_button.tooltip_text = "Pick a file from the server's --data-dir folders"
		browse_button.pressed.connect(func() -> void: browse_requested.emit(key))
		add_child(browse_button)
	show_value(param.get("default"))


## The value the editor holds now: {"value": v}, or {"error": sentence} when its text is
## refused.
func read() -> Dictionary:
	if editor is CheckBox:
		return {"value": (editor as CheckBox).button_pressed}
	if editor is OptionButton:
		var index: int = (editor as OptionButton).selected
		var choices: Array = SettingsParam.choices_of(param)
		if index < 0 or index >= choices.size():
			return {"error": "must be %s." % SettingsParam.accepted(param)}
		return {"value": choices[index]}
	return SettingsParam.parse(param, (editor as LineEdit).text)


## Shows `value` from the backend (it becomes [member shown]) unless the user is typing in the
## field or has a pending change; returns whether it was shown.
func show_value(value: Variant) -> bool:
	if is_editing() or pending:
		return false
	shown = value
	_write(value)
	return true


## Types `text` and commits it, as a user does (a bool takes "true"/"false", a choice its
## item's text); returns whether it was accepted.
func enter(text: String) -> bool:
	if editor is LineEdit:
		(editor as LineEdit).text = text
	else:
		var parsed: Dictionary = SettingsParam.parse(param, text)
		if parsed.has("error"):
			error = str(parsed["error"])
			committed.emit(key, false)
			return false
		_write(parsed["value"])
	return _commit()


## True while the user is typing in the field (it has focus or text not yet committed).
func is_editing() -> bool:
	return editor is LineEdit and (editor.has_focus() or _typing)


## Forgets the user's change: the next [method show_value] shows the backend's value again.
func clear_pending() -> void:
	pending = false
	_typing = false


## Shows `control` (a field's name, a choice) in the accent colour while it holds a change of
## the user's that the backend has not taken yet.
static func mark_pending(control: Control, is_pending: bool) -> void:
	if is_pending:
		control.add_theme_color_override("font_color", StudioPalette.ACCENT)
		control.add_theme_color_override("font_hover_color", StudioPalette.ACCENT)
	else:
		control.remove_theme_color_override("font_color")
		control.remove_theme_color_override("font_hover_color")


func set_enabled(enabled: bool) -> void:
	if editor is LineEdit:
		(editor as LineEdit).editable = enabled
	elif editor is BaseButton:
		(editor as BaseButton).disabled = not enabled
	if browse_button != null:
		browse_button.disabled = not enabled


func _write(value: Variant) -> void:
	if editor is CheckBox:
		(editor as CheckBox).set_pressed_no_signal(value == true)
	elif editor is OptionButton:
		var choices: Array = SettingsParam.choices_of(param)
		for i: int in choices.size():
			if SettingsParam.same(choices[i], value):
				(editor as OptionButton).select(i)
	else:
		var edit: LineEdit = editor
		var text: String = SettingsParam.format(param, value)
		if edit.text != text:
			edit.text = text


func _on_focus_exited() -> void:
	if _typing:
		_commit()


func _commit() -> bool:
	_typing = false
	var parsed: Dictionary = read()
	error = str(parsed.get("error", ""))
	# Refused text stays (with its message) until the user fixes it, as does a changed value.
	pending = not error.is_empty() or not SettingsParam.same(parsed["value"], shown)
	committed.emit(key, error.is_empty())
	return error.is_empty()


func _placeholder() -> String:
	match SettingsParam.type_of(param):
		"int_list":
			return "e.g. 256, 128"
		"label_list":
			return "none"
		"size":
			return "as stored"
		"path":
			return "path on the server"
	return "none" if SettingsParam.nullable(param) else ""

class_name SettingsDataSection
extends VBoxContainer
## The Data part of the Settings page: the data set choice, its description and its options as
## a form built from `data.list`; a path option (the `file` data set's `path`, `labels_path`)
## has a Browse… button that lists the server's --data-dir folders ([SettingsFileBrowser]).
## Applied by New run.

## The user changed something (the page's summary of pending changes follows).
signal edited

## What `data.list` offered.
var datasets: Array[Dictionary] = []
var options_form := SettingsForm.new()
var browser := SettingsFileBrowser.new()
## True once the user picked a data set other than the live one.
var data_pending: bool = false

var _data_option := OptionButton.new()
var _description := Label.new()
var _browse_key: String = "path"
var _live: Dictionary = {}
var _live_run: String = ""
var _made_with: Dictionary = {}


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	SettingsForm.add_header(self, "Data").text = "applied by New run"
	_data_option.name = "DataOption"
	_data_option.tooltip_text = "The data set to train on (data.list)"
	_data_option.clip_text = true
	_data_option.item_selected.connect(_on_data_selected)
	add_child(_data_option)
	_description.theme_type_variation = &"DimLabel"
	_description.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_description.max_lines_visible = 3
	_description.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_description.mouse_filter = Control.MOUSE_FILTER_PASS
	add_child(_description)
	options_form.name = "OptionsForm"
	options_form.committed.connect(func(_k: String, _v: Variant) -> void: edited.emit())
	options_form.refused.connect(func(_k: String, _m: String) -> void: edited.emit())
	options_form.browse_requested.connect(browse)
	add_child(options_form)
	browser.name = "FileBrowser"
	browser.file_chosen.connect(_on_file_chosen)
	add_child(browser)


## Fills the choices from a `data.list` result.
func set_lists(result: Dictionary) -> void:
	datasets.clear()
	var listed: Variant = result.get("datasets")
	if listed is Array:
		for entry: Variant in listed:
			if entry is Dictionary and entry.get("name") is String:
				datasets.append(entry)
	_data_option.clear()
	for entry: Dictionary in datasets:
		_data_option.add_item(str(entry["name"]))
	data_pending = false
	_select(str(_live.get("name", "digits")))
	show_status(StudioSession.status)


## Picks data set `data_name` as the option button does; false when it is not listed.
func select_data(data_name: String) -> bool:
	var index: int = _index_of(data_name)
	if index < 0:
		return false
	_data_option.select(index)
	_on_data_selected(index)
	return true


func selected_data() -> String:
	var index: int = _data_option.selected
	return str(datasets[index]["name"]) if index >= 0 and index < datasets.size() else ""


## Shows the live run's data set and its options (status "dataset"), except what the user is
## changing.
func show_status(status: Dictionary) -> void:
	var dataset: Variant = status.get("dataset")
	if not dataset is Dictionary or datasets.is_empty():
		return
	_live = dataset
	_live_run = str(status.get("run", ""))
	var live_name: String = str(dataset.get("name", ""))
	if not data_pending and live_name != selected_data():
		_select(live_name)
	if selected_data() == live_name:
		options_form.show_values(live_options())


## The live data set's options as its run was made with them: the status's `source` when the
## backend sends it, else what this page sent for that run, else {} (the form keeps defaults).
func live_options() -> Dictionary:
	for key: String in ["source", "options"]:
		var options: Variant = _live.get(key)
		if options is Dictionary:
			return options
	return _made_with.get(_live_run, {})


## Remembers the `data` args a New run of this page sent, for a status without `source`.
func remember(run: String, data: Dictionary) -> void:
	_made_with[run] = data


## The `data` args of `run.new`: the name and every option the form holds.
func args() -> Dictionary:
	var out: Dictionary = {"name": selected_data()}
	var values: Dictionary = options_form.values()
	for key: String in values:
		out[key] = values[key]
	return out


## True when the user changed anything here that New run has not taken yet.
func is_pending() -> bool:
	return data_pending or not options_form.pending_keys().is_empty()


func problems() -> PackedStringArray:
	return PackedStringArray(options_form.problems().values())


func clear_pending() -> void:
	data_pending = false
	SettingsField.mark_pending(_data_option, false)
	options_form.clear_pending()
	options_form.clear_messages()
	if not _live.is_empty():
		_select(str(_live.get("name", "digits")))
	show_status(StudioSession.status)


## Shows a server error next to the option it names (by name, or by its value: a file path);
## false when it names none.
func show_server_error(message: String) -> bool:
	var key: String = SettingsErrors.key_named(message, options_form.keys())
	if key.is_empty():
		key = SettingsErrors.value_named(message, options_form.values())
	return not key.is_empty() and options_form.show_message(key, message)


## Opens the file browser for the path option `key` (where it was last, else at the roots).
func browse(key: String = "path") -> void:
	_browse_key = key
	browser.open_at(browser.current_path)


func _on_file_chosen(path: String) -> void:
	options_form.enter(_browse_key, path)


func _on_data_selected(index: int) -> void:
	if index < 0 or index >= datasets.size():
		return
	var data_name: String = str(datasets[index]["name"])
	data_pending = data_name != str(_live.get("name", ""))
	_build_options(datasets[index])
	SettingsField.mark_pending(_data_option, data_pending)
	if not data_pending:
		options_form.show_values(live_options())
	edited.emit()


func _select(data_name: String) -> void:
	var index: int = _index_of(data_name)
	if index >= 0:
		_data_option.select(index)
		_build_options(datasets[index])


func _build_options(entry: Dictionary) -> void:
	var options: Variant = entry.get("options")
	options_form.build(options if options is Dictionary else {})
	var summary: String = _summary(entry)
	var description: String = str(entry.get("description", "")).strip_edges()
	var text: String = description if summary == entry.get("name") else summary + "\n" + description
	_description.text = text.strip_edges()
	_description.tooltip_text = _description.text
	_data_option.tooltip_text = _description.text


## "digits · 8×8 · 1797 rows · labelled".
static func _summary(entry: Dictionary) -> String:
	var parts: PackedStringArray = [str(entry.get("name", "?"))]
	var shape: Variant = entry.get("shape")
	if shape is Array and not (shape as Array).is_empty():
		parts.append(SettingsParam.shape_text(shape))
	var n: Variant = entry.get("n")
	if typeof(n) in [TYPE_INT, TYPE_FLOAT]:
		parts.append("%d rows" % int(n))
	if entry.get("labels", false) == true:
		parts.append("labelled")
	return " · ".join(parts)


func _index_of(data_name: String) -> int:
	for i: int in datasets.size():
		if datasets[i].get("name") == data_name:
			return i
	return -1

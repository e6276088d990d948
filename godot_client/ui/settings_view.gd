class_name SettingsView
extends VBoxContainer
## The Settings page of the main area: every setting the backend offers, as forms it builds
## from `model.list` and `data.list`: Model and Data on the left, Training on the right, the custom
## layer editors under them, and a bar with New run. The forms show the live run's values and
## follow the status; a field the user is typing in or has changed keeps the user's value until
## New run takes it (or Revert drops it). Live training keys apply at once (`config.set`).

## The lists arrived and the forms are built.
signal lists_received
## A request of this page's bar (`model.list`, `data.list`, `run.new`) has its reply.
signal request_finished(op: String, ok: bool)

const BUSY_TEXT: String = "Building the new run… a large data set takes a few seconds"

var model_section := SettingsModelSection.new()
var data_section := SettingsDataSection.new()
var train_section := SettingsTrainSection.new()
## op -> result of each bar op's last success.
var results: Dictionary = {}
## The last failure as shown in the bar ("" once a new request goes out).
var error: String = ""
## The sentence in the bar.
var message: String = ""
## The op waiting for its reply ("" when idle).
var busy_op: String = ""
## True once both lists arrived and the forms are built.
var lists_ready: bool = false

var _message_label := Label.new()
var _paused_check := CheckBox.new()
var _revert_button := Button.new()
var _new_button := Button.new()
var _lists_asked: bool = false
var _lists_pending: int = 0


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	var scroll := ScrollContainer.new()
	scroll.name = "Scroll"
	scroll.size_flags_vertical = Control.SIZE_EXPAND_FILL
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	add_child(scroll)
	var content := VBoxContainer.new()
	content.name = "Content"
	content.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	content.add_theme_constant_override("separation", 6)
	scroll.add_child(content)
	var columns := HBoxContainer.new()
	columns.name = "Columns"
	columns.add_theme_constant_override("separation", 6)
	content.add_child(columns)
	# Two columns of about 390 px at 1280 × 720: what makes a new run on the left, the training
	# keys (the live ones first) on the right.
	var left := VBoxContainer.new()
	left.name = "Left"
	left.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	left.add_theme_constant_override("separation", 6)
	columns.add_child(left)
	_add_card(left, model_section, "ModelSection")
	_add_card(left, data_section, "DataSection")
	_add_card(columns, train_section, "TrainSection")
	content.add_child(model_section.layers_panel)
	_add_bar()
	model_section.data_args = _check_data_args
	for section: Node in [model_section, data_section, train_section]:
		section.connect("edited", _update_bar)
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.hello_received.connect(func(_r: Dictionary) -> void: _ask_for_lists())
	StudioSession.status_received.connect(_on_status_received)
	_on_connection_changed(StudioSession.connected)


## Starts a run with what the three sections hold (the New run button).
func new_run() -> void:
	if not busy_op.is_empty():
		return
	var why: PackedStringArray = model_section.problems()
	why.append_array(data_section.problems())
	why.append_array(train_section.problems())
	if not why.is_empty():
		_fail("Fix the marked field(s) first: %s" % "; ".join(why))
		return
	var args: Dictionary = {
		"model": model_section.args(),
		"data": data_section.args(),
		"train": train_section.args(),
		"paused": _paused_check.button_pressed,
	}
	_request("run.new", args, _on_new_run_reply.bind(args["data"]))


## Drops every change the user made; the forms show the live run again.
func revert() -> void:
	model_section.clear_pending()
	data_section.clear_pending()
	train_section.clear_pending()
	_update_bar()


## Ticks or clears "start paused", as the check box does.
func set_start_paused(paused: bool) -> void:
	_paused_check.button_pressed = paused


## True when any section holds a change New run has not taken yet.
func is_pending() -> bool:
	return model_section.is_pending() or data_section.is_pending() or train_section.is_pending()


func _on_new_run_reply(result: Dictionary, data: Dictionary) -> void:
	data_section.remember(str(result.get("run", "")), data)
	model_section.clear_pending()
	data_section.clear_pending()
	train_section.clear_pending()
	_show("Run %s is live with these settings." % str(result.get("run", "?")), StudioPalette.OK)
	StudioSession.refresh_status()


func _on_status_received(status: Dictionary) -> void:
	if not _lists_asked and StudioSession.connected:
		_ask_for_lists()
	model_section.show_status(status)
	data_section.show_status(status)
	train_section.show_status(status)


func _on_connection_changed(connected: bool) -> void:
	if not connected:
		_lists_asked = false
		busy_op = ""
		_show("Settings are off until the backend is connected.", StudioPalette.TEXT_DIM)
	_update_enabled()


func _ask_for_lists() -> void:
	if _lists_asked:
		return
	_lists_asked = true
	_lists_pending = 2
	StudioSession.send("model.list", {}, _on_list_reply)
	StudioSession.send("data.list", {}, _on_list_reply)


func _on_list_reply(request: VaeStudioRequest) -> void:
	_lists_pending -= 1
	if not request.is_ok():
		_fail("%s failed — %s" % [request.op, SettingsErrors.plain(request)])
		request_finished.emit(request.op, false)
		return
	results[request.op] = request.result()
	if request.op == "model.list":
		model_section.set_lists(request.result())
		var train: Variant = request.result().get("train")
		train_section.set_params(train if train is Dictionary else {})
	else:
		data_section.set_lists(request.result())
	request_finished.emit(request.op, true)
	if _lists_pending == 0 and error.is_empty():
		lists_ready = true
		_update_enabled()
		_update_bar()
		lists_received.emit()


func _request(op: String, args: Dictionary, on_ok: Callable) -> void:
	busy_op = op
	error = ""
	_show(BUSY_TEXT, StudioPalette.ACCENT)
	_update_enabled()
	StudioSession.send(op, args, _on_reply.bind(on_ok))


func _on_reply(request: VaeStudioRequest, on_ok: Callable) -> void:
	busy_op = ""
	_update_enabled()
	if request.is_ok():
		results[request.op] = request.result()
		on_ok.call(request.result())
	else:
		var why: String = SettingsErrors.plain(request)
		var placed: bool = (
			model_section.show_server_error(why)
			or data_section.show_server_error(why)
			or train_section.show_server_error(why)
		)
		var where: String = " (shown at the field it names)" if placed else ""
		_fail("%s refused%s — %s The live run goes on." % [request.op, where, why])
	request_finished.emit(request.op, request.is_ok())


## The `data` args `model.check` gets: the form's data set once the user changed it, else none
## (the server checks against the live run's data).
func _check_data_args() -> Dictionary:
	return data_section.args() if data_section.is_pending() else {}


func _update_bar() -> void:
	if not busy_op.is_empty() or not error.is_empty() or not lists_ready:
		return
	if is_pending():
		_show(
			(
				"Changed (in yellow): %s. New run starts a run with them."
				% ", ".join(_pending_names())
			),
			StudioPalette.ACCENT
		)
	else:
		_show(
			"The forms show the live run. Live keys apply at once; the rest start a New run.",
			StudioPalette.TEXT_DIM
		)


## The names of what the user changed: "model", "data" and the changed keys.
func _pending_names() -> PackedStringArray:
	var names: PackedStringArray = []
	if model_section.model_pending:
		names.append("model")
	for form: SettingsForm in [model_section.params_form, model_section.spec_form]:
		names.append_array(form.pending_keys())
	if model_section.encoder_editor.pending or model_section.decoder_editor.pending:
		names.append("layers")
	if data_section.data_pending:
		names.append("data")
	names.append_array(data_section.options_form.pending_keys())
	names.append_array(train_section.run_form.pending_keys())
	return names


func _update_enabled() -> void:
	var idle: bool = StudioSession.connected and busy_op.is_empty() and lists_ready
	_new_button.disabled = not idle or not StudioSession.supports("run.new")
	_revert_button.disabled = not idle


func _fail(why: String) -> void:
	error = why
	_show(why, StudioPalette.ERROR)


func _show(text: String, color: Color) -> void:
	message = text
	_message_label.text = text
	_message_label.tooltip_text = text
	_message_label.add_theme_color_override("font_color", color)


static func _add_card(box: BoxContainer, section: Control, card_name: String) -> void:
	var card := PanelContainer.new()
	card.name = card_name.trim_suffix("Section") + "Card"
	card.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	card.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
	box.add_child(card)
	section.name = card_name
	card.add_child(section)


func _add_bar() -> void:
	var bar := PanelContainer.new()
	bar.name = "Bar"
	bar.theme_type_variation = &"BarPanel"
	add_child(bar)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	bar.add_child(row)
	_message_label.name = "Message"
	_message_label.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_message_label.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_message_label.max_lines_visible = 2
	_message_label.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_message_label.mouse_filter = Control.MOUSE_FILTER_PASS
	row.add_child(_message_label)
	_paused_check.name = "PausedCheck"
	_paused_check.text = "start paused"
	_paused_check.tooltip_text = "Create the run paused (press Train to start it)"
	row.add_child(_paused_check)
	_revert_button.name = "RevertButton"
	_revert_button.text = "Revert"
	_revert_button.tooltip_text = "Drop your changes: the forms show the live run again"
	_revert_button.pressed.connect(revert)
	row.add_child(_revert_button)
	_new_button.name = "NewRunButton"
	_new_button.text = "New run with these settings"
	_new_button.theme_type_variation = &"AccentButton"
	_new_button.tooltip_text = "Save the live run, then start one with these settings (run.new)"
	_new_button.pressed.connect(new_run)
	row.add_child(_new_button)
	_show("Settings appear here once the backend has listed them.", StudioPalette.TEXT_DIM)

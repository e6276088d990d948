class_name TrainingControls
extends PanelContainer
## Start/pause, step, reset and the hyperparameters the backend takes live (`config.set`). The
## button and the fields follow every status, so they show what another client changed within a
## status (the backend publishes one at once after each change); a field the user is typing in
## keeps their text until they apply or leave it. Reset asks first (it starts a new run). The
## sentence under the buttons says what the last press did; it belongs to the run it was about
## and gives way to the hint when another run comes.

const STEP_COUNT: int = 10
## The fields' names in messages.
const FIELD_NAMES: Dictionary = {"lr": "Learning rate", "beta": "β", "batch_size": "Batch size"}
const HINT: String = "Type lr or β and press Enter to apply it while training."

## The fields with text typed and not yet applied (field -> true): a status does not overwrite
## them.
var _editing: Dictionary = {}
## Whether the message is only a hint (replaced once connected).
var _hint_shown: bool = true
## The run the message is about ("" for a hint).
var _message_run: String = ""

@onready var _run_button: Button = $Rows/Buttons/RunButton
@onready var _step_button: Button = $Rows/Buttons/StepButton
@onready var _reset_button: Button = $Rows/Buttons/ResetButton
@onready var _lr_edit: LineEdit = $Rows/Fields/LrEdit
@onready var _beta_edit: LineEdit = $Rows/Fields/BetaEdit
@onready var _batch_spin: SpinBox = $Rows/Fields/BatchSpin
@onready var _message: Label = $Rows/Message
@onready var _reset_dialog: ConfirmationDialog = $ResetDialog


func _ready() -> void:
	_run_button.pressed.connect(_on_run_pressed)
	_step_button.pressed.connect(_on_step_pressed)
	_reset_button.pressed.connect(_on_reset_pressed)
	_reset_dialog.confirmed.connect(_reset)
	for edit: LineEdit in [_lr_edit, _beta_edit]:
		edit.text_submitted.connect(_on_field_submitted.bind(edit))
		edit.focus_exited.connect(_on_field_left.bind(edit))
		edit.text_changed.connect(_on_field_edited.bind(edit))
	_batch_spin.value_changed.connect(_on_batch_changed)
	_batch_spin.get_line_edit().text_changed.connect(
		func(_text: String) -> void: _editing[_batch_spin] = true
	)
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.run_changed.connect(_on_run_changed)
	_on_connection_changed(StudioSession.connected)


func _on_connection_changed(connected: bool) -> void:
	for control: Control in [_run_button, _reset_button, _lr_edit, _beta_edit, _batch_spin]:
		_set_enabled(control, connected)
	_set_enabled(_step_button, connected and not StudioSession.is_training())
	if not connected:
		_show("Controls are off until the backend is connected.", StudioPalette.TEXT_DIM, true)
	elif _hint_shown:
		_show(HINT, StudioPalette.TEXT_DIM, true)


func _on_status_received(status: Dictionary) -> void:
	var training: bool = status.get("state", "") == "training"
	_run_button.text = "❚❚  Pause" if training else "▶  Train"
	_run_button.tooltip_text = "Pause training" if training else "Start training"
	_set_enabled(_step_button, StudioSession.connected and not training)
	var config: Variant = status.get("config")
	if config is Dictionary:
		_fill(_lr_edit, config.get("lr"))
		_fill(_beta_edit, config.get("beta"))
		var batch: Variant = config.get("batch_size")
		if typeof(batch) in [TYPE_INT, TYPE_FLOAT] and not _editing.get(_batch_spin, false):
			_batch_spin.set_value_no_signal(float(batch))


func _on_run_pressed() -> void:
	var op: String = "train.pause" if StudioSession.is_training() else "train.start"
	StudioSession.send(op, {}, _on_control_reply)


func _on_step_pressed() -> void:
	StudioSession.send("train.step", {"n": STEP_COUNT}, _on_control_reply)


## Reset starts a new run: it asks first.
func _on_reset_pressed() -> void:
	_reset_dialog.popup_centered()


func _reset() -> void:
	StudioSession.send("train.reset", {}, _on_control_reply)


## A message about another run than the live one is no longer true: the hint comes back.
func _on_run_changed(run: String) -> void:
	if not _hint_shown and _message_run != run:
		_show(HINT, StudioPalette.TEXT_DIM, true)


## Shows how this panel's own request went: its failure here (the session then posts no notice
## while the panel is on screen; the Log keeps it either way).
func _on_control_reply(request: VaeStudioRequest) -> void:
	if not request.is_ok():
		_show_failure(request)
		return
	var result: Dictionary = request.result()
	var step: String = str(result.get("step", StudioSession.live_step))
	match request.op:
		"train.start":
			_show("Training started at step %s." % step, StudioPalette.OK)
		"train.pause":
			_show("Training paused at step %s." % step, StudioPalette.OK)
		"train.step":
			_show("Ran %d steps: now at step %s." % [STEP_COUNT, step], StudioPalette.OK)
		"train.reset":
			var run: String = str(result.get("run", ""))
			_show(
				"Reset: new weights, a new run %s from step 0." % run, StudioPalette.OK, false, run
			)
	StudioSession.refresh_status()


func _on_field_edited(_text: String, edit: LineEdit) -> void:
	_editing[edit] = true


func _on_field_left(edit: LineEdit) -> void:
	if _editing.get(edit, false):
		_on_field_submitted(edit.text, edit)


func _on_field_submitted(text: String, edit: LineEdit) -> void:
	_editing.erase(edit)
	var key: String = "lr" if edit == _lr_edit else "beta"
	var stripped: String = text.strip_edges()
	if not stripped.is_valid_float():
		_show(
			"%s must be a number, e.g. 0.001 or 1e-3; got '%s'." % [FIELD_NAMES[key], stripped],
			StudioPalette.ERROR
		)
		return
	var value: float = stripped.to_float()
	StudioSession.send("config.set", {key: value}, _on_config_reply.bind(key, value))


func _on_batch_changed(value: float) -> void:
	_editing.erase(_batch_spin)
	var batch: int = roundi(value)
	StudioSession.send(
		"config.set", {"batch_size": batch}, _on_config_reply.bind("batch_size", batch)
	)


func _on_config_reply(request: VaeStudioRequest, key: String, value: Variant) -> void:
	if request.is_ok():
		_show("%s set to %s." % [FIELD_NAMES[key], short_number(float(value))], StudioPalette.OK)
		StudioSession.refresh_status()
	else:
		_show_failure(request)


func _show_failure(request: VaeStudioRequest) -> void:
	_show(
		StudioNotices.request_text(request.op, StudioSession.describe_failure(request)),
		StudioPalette.ERROR
	)


## Shows `value` in `edit` unless the user has typed something there not yet applied (focus
## alone does not hold it: after Enter the field keeps the focus, and must still follow).
func _fill(edit: LineEdit, value: Variant) -> void:
	if typeof(value) not in [TYPE_INT, TYPE_FLOAT] or _editing.get(edit, false):
		return
	edit.text = short_number(float(value))


## A float the way a person would type it: 0.001, 1, 2.5, 1e-05.
static func short_number(value: float) -> String:
	if value == 0.0 or (absf(value) >= 1e-4 and absf(value) < 1e6):
		return String.num(value, 6)
	var exponent: int = floori(log(absf(value)) / log(10.0))
	var mantissa: float = value / pow(10.0, exponent)
	return "%se%d" % [String.num(mantissa, 3), exponent]


## Shows `text`, about run `run` (default: the live one).
func _show(text: String, color: Color, hint: bool = false, run: String = "") -> void:
	_hint_shown = hint
	_message_run = run if not run.is_empty() else StudioSession.live_run
	_message.text = text
	_message.tooltip_text = text
	_message.add_theme_color_override("font_color", color)


static func _set_enabled(control: Control, enabled: bool) -> void:
	if control is BaseButton:
		(control as BaseButton).disabled = not enabled
	elif control is LineEdit:
		(control as LineEdit).editable = enabled
	elif control is SpinBox:
		(control as SpinBox).editable = enabled

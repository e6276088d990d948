class_name SettingsTrainSection
extends VBoxContainer
## The Training part of the Settings page: every training-config key of `model.list` "train",
## in two forms. Live keys go to the running training through `config.set` as soon as the user
## commits a value (Enter, leaving the field, a pick); the others wait for New run.

## The user changed a key that waits for New run (the page's summary follows).
signal edited
## A live key's `config.set` came back (`ok` false: the row shows the server's sentence).
signal applied(key: String, ok: bool)

## Room after each editor for its unit ("steps", "nats"), so the editors line up.
const UNIT_WIDTH: float = 40.0
## Seconds the "applied" note stays under a live key.
const NOTE_S: float = 4.0

## The training keys as `model.list` described them.
var train_params: Dictionary = {}
var live_form := SettingsForm.new()
var run_form := SettingsForm.new()
## `config.set` replies: key -> the value the server took, or the error sentence it sent.
var applied_values: Dictionary = {}
var apply_errors: Dictionary = {}

var _live_title := Label.new()
var _run_title := Label.new()
var _config: Dictionary = {}


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	SettingsForm.add_header(self, "Training")
	_live_title.text = "● Live: applied at once"
	_live_title.theme_type_variation = &"HeaderSmall"
	_live_title.add_theme_color_override("font_color", StudioPalette.OK)
	_live_title.tooltip_text = "Press Enter (or leave the field) to send the value (config.set)"
	_live_title.mouse_filter = Control.MOUSE_FILTER_PASS
	add_child(_live_title)
	live_form.name = "LiveForm"
	live_form.tag_width = UNIT_WIDTH
	live_form.committed.connect(_on_live_committed)
	add_child(live_form)
	_run_title.text = "Applied by New run"
	_run_title.theme_type_variation = &"HeaderSmall"
	add_child(_run_title)
	run_form.name = "RunForm"
	run_form.tag_width = UNIT_WIDTH
	run_form.committed.connect(func(_k: String, _v: Variant) -> void: edited.emit())
	run_form.refused.connect(func(_k: String, _m: String) -> void: edited.emit())
	add_child(run_form)


## Builds both forms from `model.list` "train" ({key: Param + live}).
func set_params(params: Dictionary) -> void:
	train_params = params
	var live: Dictionary = {}
	var later: Dictionary = {}
	for key: Variant in params:
		var param: Variant = params[key]
		if param is Dictionary and param.get("live", false) == true:
			live[key] = param
		else:
			later[key] = param
	live_form.build(live)
	run_form.build(later)
	_live_title.visible = not live.is_empty()
	_run_title.visible = not later.is_empty()
	show_status(StudioSession.status)


## Shows the live run's config (status "config"), except in fields the user is changing.
func show_status(status: Dictionary) -> void:
	var config: Variant = status.get("config")
	if config is Dictionary:
		_config = config
		live_form.show_values(config)
		run_form.show_values(config)


## The `train` args of `run.new`: every key, as the forms hold them.
func args() -> Dictionary:
	var out: Dictionary = live_form.values()
	out.merge(run_form.values())
	return out


func is_pending() -> bool:
	return not run_form.pending_keys().is_empty()


func problems() -> PackedStringArray:
	var out: PackedStringArray = PackedStringArray(live_form.problems().values())
	out.append_array(PackedStringArray(run_form.problems().values()))
	return out


func clear_pending() -> void:
	for form: SettingsForm in [live_form, run_form]:
		form.clear_pending()
		form.clear_messages()
	show_status(StudioSession.status)


## Shows a server error next to the key it names; false when it names none.
func show_server_error(message: String) -> bool:
	for form: SettingsForm in [live_form, run_form]:
		var key: String = SettingsErrors.key_named(message, form.keys())
		if not key.is_empty():
			return form.show_message(key, message)
	return false


## Sends live key `key` = `value` with `config.set` (what committing its field does).
func apply_live(key: String, value: Variant) -> void:
	if _config.has(key) and SettingsParam.same(_config[key], value):
		live_form.accept_value(key, _config[key])
		return
	live_form.show_message(key, "Applying…", StudioPalette.TEXT_DIM)
	StudioSession.send("config.set", {key: value}, _on_applied.bind(key))


func _on_live_committed(key: String, value: Variant) -> void:
	apply_live(key, value)


func _on_applied(request: VaeStudioRequest, key: String) -> void:
	if not request.is_ok():
		apply_errors[key] = SettingsErrors.plain(request)
		applied_values.erase(key)
		live_form.show_message(key, "Not applied: %s" % apply_errors[key])
		applied.emit(key, false)
		return
	var config: Variant = request.result().get("config")
	if config is Dictionary:
		_config = config
	apply_errors.erase(key)
	applied_values[key] = _config.get(key)
	live_form.accept_value(key, _config.get(key))
	var note: String = "Applied to the running training."
	live_form.show_message(key, note, StudioPalette.OK)
	applied.emit(key, true)
	if is_inside_tree():
		await get_tree().create_timer(NOTE_S).timeout
		if live_form.message_of(key) == note:
			live_form.show_message(key, "")

class_name SettingsModelSection
extends VBoxContainer
## The Model part of the Settings page: the model choice and its description, the variant's
## hyper-parameters and the network keys (latent_dim, arch, hidden, channels, obs_sigma) as forms
## built from `model.list`, and for arch "custom" an encoder and a decoder layer editor (in
## [member layers_panel], which the page places). The server checks the recipe with
## `model.check` (the Check button, and by itself shortly after each edit): the shapes out of
## each layer, or the error next to the layer or field it names.

## The user changed something (the page's summary of pending changes follows).
signal edited

## Seconds after the last edit before the recipe goes to `model.check`.
const CHECK_DELAY_S: float = 0.6
## Filled in from the data set when left out (models/registry.py fit_spec).
const DATA_FILLED_PARAMS: PackedStringArray = ["dataset_size"]

## What `model.list` offered: the models, the spec keys and the layer types.
var models: Array[Dictionary] = []
var spec_params: Dictionary = {}
var layer_types: Dictionary = {}
## The variant's hyper-parameters and the network keys.
var params_form := SettingsForm.new()
var spec_form := SettingsForm.new()
var encoder_editor := SettingsLayerEditor.new()
var decoder_editor := SettingsLayerEditor.new()
## Holds the two layer editors; shown while arch is "custom".
var layers_panel := PanelContainer.new()
## True once the user picked a model other than the live one.
var model_pending: bool = false
## The last `model.check` result ({} before one or after a failure) and failure sentence.
var last_check: Dictionary = {}
var check_error: String = ""
## `model.check` replies received (the driver waits for one after an edit).
var checks_done: int = 0
## Returns the `data` args of `model.check` ({} for the live run's data): set by the page.
var data_args := func() -> Dictionary: return {}

var _model_option := OptionButton.new()
var _description := Label.new()
var _params_title := Label.new()
var _check_button := Button.new()
var _check_label := Label.new()
var _check_timer := Timer.new()
var _check_seq: int = 0
var _live_model: Dictionary = {}


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	SettingsForm.add_header(self, "Model").text = "applied by New run"
	_model_option.name = "ModelOption"
	_model_option.tooltip_text = "The VAE variant to train (model.list)"
	_model_option.clip_text = true
	_model_option.item_selected.connect(_on_model_selected)
	add_child(_model_option)
	_description.theme_type_variation = &"DimLabel"
	_description.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_description.max_lines_visible = 4
	_description.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_description.mouse_filter = Control.MOUSE_FILTER_PASS
	add_child(_description)
	_params_title.theme_type_variation = &"HeaderSmall"
	add_child(_params_title)
	params_form.name = "ParamsForm"
	params_form.captions = true
	add_child(params_form)
	var networks := Label.new()
	networks.text = "Networks"
	networks.theme_type_variation = &"HeaderSmall"
	add_child(networks)
	spec_form.name = "SpecForm"
	add_child(spec_form)
	_add_check_row()
	_add_layers_panel()
	for form: SettingsForm in [params_form, spec_form]:
		form.committed.connect(_on_form_committed.bind(form))
		form.refused.connect(func(_k: String, _m: String) -> void: edited.emit())
	for editor: SettingsLayerEditor in [encoder_editor, decoder_editor]:
		editor.changed.connect(_on_edited)
	_check_timer.one_shot = true
	_check_timer.wait_time = CHECK_DELAY_S
	_check_timer.timeout.connect(check_now)
	add_child(_check_timer)


## Fills the choices from a `model.list` result.
func set_lists(result: Dictionary) -> void:
	models.clear()
	var listed: Variant = result.get("models")
	if listed is Array:
		for entry: Variant in listed:
			if entry is Dictionary and entry.get("name") is String:
				models.append(entry)
	spec_params = result.get("spec") if result.get("spec") is Dictionary else {}
	layer_types = result.get("layers") if result.get("layers") is Dictionary else {}
	_model_option.clear()
	for entry: Dictionary in models:
		_model_option.add_item(str(entry["name"]))
	spec_form.build(spec_params)
	encoder_editor.set_types(layer_types, _help_of("encoder"))
	decoder_editor.set_types(layer_types, _help_of("decoder"))
	model_pending = false
	_select(str(_live_model.get("name", "vae")))
	show_status(StudioSession.status)
	# The first check shows the live recipe's parameter count and output shapes.
	if StudioSession.supports("model.check") and is_inside_tree():
		_check_timer.start()


## Picks model `model_name` as the option button does; false when it is not listed.
func select_model(model_name: String) -> bool:
	var index: int = _index_of(model_name)
	if index < 0:
		return false
	_model_option.select(index)
	_on_model_selected(index)
	return true


func selected_model() -> String:
	var index: int = _model_option.selected
	return str(models[index]["name"]) if index >= 0 and index < models.size() else ""


## Shows the live run's model (status "model"), except what the user is changing.
func show_status(status: Dictionary) -> void:
	var model: Variant = status.get("model")
	if not model is Dictionary or models.is_empty():
		return
	_live_model = model
	var live_name: String = str(model.get("name", ""))
	if not model_pending and live_name != selected_model():
		_select(live_name)
	if selected_model() == live_name and model.get("params") is Dictionary:
		params_form.show_values(model["params"])
	spec_form.show_values(model)
	if str(model.get("arch", "")) == "custom":
		encoder_editor.show_layers(model.get("encoder"))
		decoder_editor.show_layers(model.get("decoder"))
	_show_arch()


## The `model` args of `run.new` and `model.check`. A hyper-parameter the trainer fills in from
## the data set (the live status shows the filled value) goes only when the user typed it: else a
## New run on other data would carry this data set's size.
func args() -> Dictionary:
	var params: Dictionary = params_form.values()
	var typed: PackedStringArray = params_form.pending_keys()
	for key: String in DATA_FILLED_PARAMS:
		if params.has(key) and not typed.has(key):
			params.erase(key)
	var out: Dictionary = {"name": selected_model(), "params": params}
	var spec: Dictionary = spec_form.values()
	for key: String in spec:
		out[key] = spec[key]
	if _arch() == "custom":
		out["encoder"] = encoder_editor.layers()
		out["decoder"] = decoder_editor.layers()
	return out


## Sentences for every value the client refuses (shown by their fields too).
func problems() -> PackedStringArray:
	var out: PackedStringArray = []
	out.append_array(params_form.problems().values())
	out.append_array(spec_form.problems().values())
	if _arch() == "custom":
		for editor: SettingsLayerEditor in [encoder_editor, decoder_editor]:
			var rows: Dictionary = editor.problems()
			for i: int in rows:
				out.append(
					"%s layer %d: %s" % [editor.name.trim_suffix("Editor").to_lower(), i, rows[i]]
				)
	return out


## True when the user changed anything here that New run has not taken yet.
func is_pending() -> bool:
	return (
		model_pending
		or not params_form.pending_keys().is_empty()
		or not spec_form.pending_keys().is_empty()
		or (_arch() == "custom" and (encoder_editor.pending or decoder_editor.pending))
	)


## Forgets the user's changes; the live run's values show again.
func clear_pending() -> void:
	model_pending = false
	SettingsField.mark_pending(_model_option, false)
	for form: SettingsForm in [params_form, spec_form]:
		form.clear_pending()
		form.clear_messages()
	for editor: SettingsLayerEditor in [encoder_editor, decoder_editor]:
		editor.clear_pending()
		editor.clear_messages()
	if not _live_model.is_empty():
		_select(str(_live_model.get("name", "vae")))
	show_status(StudioSession.status)


## Shows a server error next to the layer or field it names; false when it names neither.
func show_server_error(message: String) -> bool:
	var layer: Dictionary = SettingsErrors.layer_named(message)
	if not layer.is_empty() and _arch() == "custom":
		var editor: SettingsLayerEditor = (
			encoder_editor if layer["list"] == "encoder" else decoder_editor
		)
		editor.show_layer_error(int(layer["index"]), message)
		return true
	for form: SettingsForm in [params_form, spec_form]:
		var key: String = SettingsErrors.key_named(message, form.keys())
		if not key.is_empty():
			return form.show_message(key, message)
	return false


## Sends the recipe to `model.check` now (the Check button).
func check_now() -> void:
	_check_timer.stop()
	if not StudioSession.supports("model.check") or models.is_empty():
		return
	_clear_check()
	var why: PackedStringArray = problems()
	if not why.is_empty():
		_show_check("Fix this first: " + why[0], StudioPalette.ERROR)
		return
	_check_seq += 1
	_show_check("Checking with the server…", StudioPalette.TEXT_DIM)
	var check_args: Dictionary = {"model": args()}
	var data: Dictionary = data_args.call()
	if not data.is_empty():
		check_args["data"] = data
	StudioSession.send("model.check", check_args, _on_check_reply.bind(_check_seq))


## The check's line under the Check button.
func check_text() -> String:
	return _check_label.text


func _on_check_reply(request: VaeStudioRequest, seq: int) -> void:
	if seq != _check_seq:
		return
	checks_done += 1
	if not request.is_ok():
		last_check = {}
		check_error = SettingsErrors.plain(request)
		var layer: Dictionary = SettingsErrors.layer_named(check_error)
		if show_server_error(check_error) and not layer.is_empty() and layer["index"] >= 0:
			# The sentence stands under its layer; here a pointer to it is enough.
			_show_check(
				"✗ does not fit: see %s layer %d below" % [layer["list"], layer["index"]],
				StudioPalette.ERROR
			)
		else:
			_show_check("✗ " + check_error, StudioPalette.ERROR)
		return
	last_check = request.result()
	check_error = ""
	var encoder: Array = last_check.get("encoder") if last_check.get("encoder") is Array else []
	var decoder: Array = last_check.get("decoder") if last_check.get("decoder") is Array else []
	var parts: PackedStringArray = ["✓ fits"]
	var count: Variant = last_check.get("parameters")
	if typeof(count) in [TYPE_INT, TYPE_FLOAT]:
		parts.append("%s parameters" % _thousands(int(count)))
	if not encoder.is_empty() and encoder[-1] is Array:
		parts.append("encoder → " + SettingsParam.shape_text(encoder[-1][1]))
	if not decoder.is_empty() and decoder[-1] is Array:
		parts.append("decoder → " + SettingsParam.shape_text(decoder[-1][1]))
	_show_check(" · ".join(parts), StudioPalette.OK)
	if _arch() == "custom":
		encoder_editor.show_shapes(encoder)
		decoder_editor.show_shapes(decoder)


func _on_model_selected(index: int) -> void:
	if index < 0 or index >= models.size():
		return
	model_pending = str(models[index]["name"]) != str(_live_model.get("name", ""))
	_build_params(models[index])
	SettingsField.mark_pending(_model_option, model_pending)
	if not model_pending and _live_model.get("params") is Dictionary:
		params_form.show_values(_live_model["params"])
	_on_edited()


func _on_form_committed(key: String, _value: Variant, form: SettingsForm) -> void:
	if form == spec_form and key == "arch":
		_show_arch()
		if _arch() == "custom":
			_fill_custom_template()
	_on_edited()


func _on_edited() -> void:
	edited.emit()
	if StudioSession.connected and StudioSession.supports("model.check") and is_inside_tree():
		_check_timer.start()


func _select(model_name: String) -> void:
	var index: int = _index_of(model_name)
	if index < 0:
		return
	_model_option.select(index)
	_build_params(models[index])


## The params form for `model` and its description.
func _build_params(model: Dictionary) -> void:
	var text: String = str(model.get("description", "")).strip_edges()
	if model.get("conditional", false) == true:
		text += " Conditional: needs a labelled data set."
	_description.text = text
	_description.tooltip_text = text
	_model_option.tooltip_text = text
	var params: Variant = model.get("params")
	params_form.build(params if params is Dictionary else {})
	_params_title.text = (
		"%s hyper-parameters" % model.get("name", "?")
		if not params_form.fields.is_empty()
		else "%s has no hyper-parameters" % model.get("name", "?")
	)


func _arch() -> String:
	var read: Dictionary = spec_form.field("arch").read() if spec_form.field("arch") != null else {}
	return str(read.get("value", _live_model.get("arch", "mlp")))


## Hidden widths serve mlp and conv, channels conv only, the layer editors custom only.
func _show_arch() -> void:
	var arch: String = _arch()
	spec_form.set_row_visible("hidden", arch != "custom")
	spec_form.set_row_visible("channels", arch == "conv")
	layers_panel.visible = arch == "custom"


## Switching to "custom" with empty lists starts from the MLP the widths describe, which fits
## the live data (the decoder ends at its input_dim values).
func _fill_custom_template() -> void:
	if encoder_editor.row_count() > 0 or decoder_editor.row_count() > 0:
		return
	var hidden: Array = spec_form.values().get("hidden", [256, 128])
	var encoder: Array = []
	for width: Variant in hidden:
		encoder.append_array([{"type": "linear", "out": width}, {"type": "relu"}])
	var decoder: Array = []
	for i: int in range(hidden.size() - 1, -1, -1):
		decoder.append_array([{"type": "linear", "out": hidden[i]}, {"type": "relu"}])
	decoder.append({"type": "linear", "out": int(_live_model.get("input_dim", 64))})
	encoder_editor.set_layers(encoder)
	decoder_editor.set_layers(decoder)
	encoder_editor.mark_changed()
	decoder_editor.mark_changed()


func _add_check_row() -> void:
	var row := HBoxContainer.new()
	row.name = "CheckRow"
	row.add_theme_constant_override("separation", 8)
	add_child(row)
	_check_button.name = "CheckButton"
	_check_button.text = "Check"
	_check_button.tooltip_text = (
		"Ask the server whether this recipe builds on the data (model.check); it also checks"
		+ " by itself shortly after each edit"
	)
	_check_button.pressed.connect(check_now)
	_check_button.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
	row.add_child(_check_button)
	_check_label.theme_type_variation = &"DimLabel"
	_check_label.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_check_label.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(_check_label)


func _add_layers_panel() -> void:
	layers_panel.name = "LayersPanel"
	layers_panel.visible = false
	var rows := VBoxContainer.new()
	rows.add_theme_constant_override("separation", 10)
	layers_panel.add_child(rows)
	encoder_editor.setup("encoder", {})
	decoder_editor.setup("decoder", {})
	rows.add_child(encoder_editor)
	rows.add_child(HSeparator.new())
	rows.add_child(decoder_editor)


## Clears the last check's messages; the client's own refusals show again.
func _clear_check() -> void:
	for form: SettingsForm in [params_form, spec_form]:
		form.clear_messages()
		form.show_problems()
	for editor: SettingsLayerEditor in [encoder_editor, decoder_editor]:
		editor.clear_messages()
		editor.show_problems()


func _show_check(text: String, color: Color) -> void:
	_check_label.text = text
	_check_label.tooltip_text = text
	_check_label.add_theme_color_override("font_color", color)


## The help of spec key `key` ("" when `model.list` gave none).
func _help_of(key: String) -> String:
	var param: Variant = spec_params.get(key)
	return str(param.get("help", "")) if param is Dictionary else ""


func _index_of(model_name: String) -> int:
	for i: int in models.size():
		if models[i].get("name") == model_name:
			return i
	return -1


static func _thousands(n: int) -> String:
	var digits: String = str(absi(n))
	var out: String = ""
	while digits.length() > 3:
		out = "," + digits.right(3) + out
		digits = digits.left(digits.length() - 3)
	return ("-" if n < 0 else "") + digits + out

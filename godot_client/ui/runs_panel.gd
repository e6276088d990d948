class_name RunsPanel
extends PanelContainer
## Runs: pick a model, a data set, the latent width and the architecture and start a new run
## (`run.new`); save, load, export and evaluate the live one. One request at a time: the buttons
## wait while it is pending, and the server's error sentence is shown in red.
##
## For tests and screenshots, `-- --auto-new-run=MODEL` presses New run with MODEL selected as
## soon as the lists have arrived, then `--auto-actions=eval,save,export` presses those buttons
## in turn, each after the previous reply (`load` lists the runs and loads the one saved last,
## else the newest). `--auto-data=NAME` and `--auto-data-path=PATH` pick the data set (and a
## `file` path) first.

## Importance samples for the IS estimate of the test NLL (Burda et al.'s k).
const IW_SAMPLES: int = 50
const ARCHS: PackedStringArray = ["mlp", "conv"]
## What each button's op is called while it is pending.
const BUSY_TEXT: Dictionary = {
	"run.new": "Building the new run… a large data set takes a few seconds",
	"run.save": "Saving a checkpoint…",
	"run.list": "Listing the saved runs…",
	"run.load": "Loading the run…",
	"run.export": "Exporting the run folder…",
	"eval": "Evaluating on the test split (k = %d)…" % IW_SAMPLES,
}

var _models: Array[Dictionary] = []
var _datasets: Array[Dictionary] = []
var _runs: Array[Dictionary] = []
var _busy_op: String = ""
var _busy_since_ms: int = 0
var _lists_asked: bool = false
var _lists_pending: int = 0
## What the panel has done, for the screenshot report: op -> result map of the last success.
var _results: Dictionary = {}
var _error: String = ""
var _auto_model: String = ""
var _auto_actions: PackedStringArray = []
var _auto_started: bool = false
var _auto_finished: bool = false
var _auto_load: bool = false

@onready var _model_option: OptionButton = $Rows/Grid/ModelOption
@onready var _data_option: OptionButton = $Rows/Grid/DataRow/DataOption
@onready var _path_edit: LineEdit = $Rows/Grid/DataRow/PathEdit
@onready var _latent_spin: SpinBox = $Rows/Grid/ShapeRow/LatentSpin
@onready var _arch_option: OptionButton = $Rows/Grid/ShapeRow/ArchOption
@onready var _description: Label = $Rows/Description
@onready var _paused_check: CheckBox = $Rows/NewRow/PausedCheck
@onready var _new_button: Button = $Rows/NewRow/NewRunButton
@onready var _save_button: Button = $Rows/Actions/SaveButton
@onready var _load_button: Button = $Rows/Actions/LoadButton
@onready var _export_button: Button = $Rows/Actions/ExportButton
@onready var _eval_button: Button = $Rows/Actions/EvalButton
@onready var _result: Label = $Rows/Result
@onready var _message: Label = $Rows/Message
@onready var _load_dialog: ConfirmationDialog = $LoadDialog
@onready var _run_list: ItemList = $LoadDialog/RunList


func _ready() -> void:
	_auto_model = str(StudioSession.options.get("auto-new-run", ""))
	var actions: String = str(StudioSession.options.get("auto-actions", ""))
	if not _auto_model.is_empty():
		_auto_actions = actions.split(",", false)
	_auto_finished = _auto_model.is_empty()
	_model_option.item_selected.connect(_on_model_selected)
	_data_option.item_selected.connect(_on_data_selected)
	_new_button.pressed.connect(new_run)
	_save_button.pressed.connect(save_run)
	_load_button.pressed.connect(list_runs)
	_export_button.pressed.connect(export_run)
	_eval_button.pressed.connect(evaluate)
	_load_dialog.confirmed.connect(_on_load_confirmed)
	_run_list.item_activated.connect(_on_run_activated)
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.hello_received.connect(_on_hello_received)
	StudioSession.status_received.connect(_on_status_received)
	_on_connection_changed(StudioSession.connected)
	set_process(false)


func _process(_delta: float) -> void:
	if _busy_op.is_empty():
		set_process(false)
		return
	var seconds: int = (Time.get_ticks_msec() - _busy_since_ms) / 1000
	var text: String = BUSY_TEXT.get(_busy_op, "Waiting for %s…" % _busy_op)
	_show(text if seconds < 1 else "%s %d s" % [text, seconds], StudioPalette.ACCENT)


## True once the `--auto-new-run` sequence has run to its end (or failed), and always without it.
func auto_finished() -> bool:
	return _auto_finished


## What the panel did, for the screenshot report.
func report() -> Dictionary:
	return {
		"models": _models.map(func(m: Dictionary) -> String: return str(m.get("name", ""))),
		"datasets": _datasets.map(func(d: Dictionary) -> String: return str(d.get("name", ""))),
		"results": _results,
		"error": _error,
		"message": _message.text,
		"result_text": _result.text,
		"busy": _busy_op,
		"auto_finished": _auto_finished,
	}


## Starts a run with what the form holds (the New run button).
func new_run() -> void:
	var model: Dictionary = _selected(_model_option, _models)
	var data: Dictionary = _selected(_data_option, _datasets)
	if model.is_empty() or data.is_empty():
		_fail("run.new", "Pick a model and a data set first (the backend has not listed them).")
		return
	var data_args: Dictionary = {"name": data["name"]}
	if data["name"] == "file":
		var path: String = _path_edit.text.strip_edges()
		if path.is_empty():
			_fail("run.new", "The file data set needs a path: a file or folder on the server.")
			return
		data_args["path"] = path
	var args: Dictionary = {
		"model":
		{
			"name": model["name"],
			"latent_dim": roundi(_latent_spin.value),
			"arch": ARCHS[maxi(_arch_option.selected, 0)],
		},
		"data": data_args,
		"paused": _paused_check.button_pressed,
	}
	_request("run.new", args, _on_new_run_reply)


func save_run() -> void:
	_request("run.save", {}, _on_save_reply)


## Asks for the saved runs; the reply opens the pick dialog (the Load… button).
func list_runs() -> void:
	_request("run.list", {}, _on_list_reply)


func export_run() -> void:
	_request("run.export", {}, _on_export_reply)


func evaluate() -> void:
	_request("eval", {"split": "test", "iw_samples": IW_SAMPLES}, _on_eval_reply)


func _request(op: String, args: Dictionary, on_ok: Callable) -> void:
	if not _busy_op.is_empty():
		return
	_busy_op = op
	_busy_since_ms = Time.get_ticks_msec()
	_error = ""
	_update_enabled()
	set_process(true)
	_process(0.0)
	StudioSession.send(op, args, _on_reply.bind(op, on_ok))


func _on_reply(reply: Dictionary, op: String, on_ok: Callable) -> void:
	_busy_op = ""
	_update_enabled()
	var result: Variant = reply.get("result")
	if reply.get("ok", false) and result is Dictionary:
		_results[op] = result
		on_ok.call(result)
	else:
		_fail(op, StudioSession.describe_failure(op, reply))
		_auto_finished = true


func _on_new_run_reply(result: Dictionary) -> void:
	_result.text = ""
	_show("Run %s is live." % str(result.get("run", "?")), StudioPalette.OK)
	StudioSession.refresh_status()
	_next_auto_action()


func _on_save_reply(result: Dictionary) -> void:
	_show(
		"Saved %s at step %s." % [str(result.get("run", "?")), str(result.get("step", "?"))],
		StudioPalette.OK
	)
	_next_auto_action()


func _on_list_reply(result: Dictionary) -> void:
	var runs: Variant = result.get("runs")
	_runs.clear()
	_run_list.clear()
	if runs is Array:
		for entry: Variant in runs:
			if entry is Dictionary and entry.has("run"):
				_runs.append(entry)
	# Newest first: `created` is an ISO time, so the strings sort by time.
	_runs.sort_custom(
		func(a: Dictionary, b: Dictionary) -> bool:
			return str(a.get("created", "")) > str(b.get("created", ""))
	)
	for entry: Dictionary in _runs:
		var when: String = str(entry.get("created", "")).left(16).replace("T", " ")
		var what: String = "%s on %s" % [entry.get("model", "?"), entry.get("data", "?")]
		_run_list.add_item(
			"%s   %s · step %s · %s" % [entry["run"], what, str(entry.get("step", "?")), when]
		)
	if _runs.is_empty():
		_auto_load = false
		_show("No saved runs yet: Save writes the live one.", StudioPalette.TEXT_DIM)
		_next_auto_action()
		return
	_show("%d saved run(s)." % _runs.size(), StudioPalette.TEXT_DIM)
	_run_list.select(0)
	if _auto_load:
		# The run this panel saved last, else the newest.
		_auto_load = false
		var saved: String = str(_results.get("run.save", {}).get("run", ""))
		for i in _runs.size():
			if _runs[i]["run"] == saved:
				_run_list.select(i)
		_on_load_confirmed()
		return
	_load_dialog.popup_centered()
	_next_auto_action()


func _on_run_activated(_index: int) -> void:
	_load_dialog.hide()
	_on_load_confirmed()


func _on_load_confirmed() -> void:
	var picked: PackedInt32Array = _run_list.get_selected_items()
	if picked.is_empty() or picked[0] >= _runs.size():
		return
	_request("run.load", {"run": _runs[picked[0]]["run"]}, _on_load_reply)


func _on_load_reply(result: Dictionary) -> void:
	_show(
		(
			"Loaded %s at step %s (paused: press Train to continue)."
			% [str(result.get("run", "?")), str(result.get("step", "?"))]
		),
		StudioPalette.OK
	)
	StudioSession.refresh_status()
	_next_auto_action()


func _on_export_reply(result: Dictionary) -> void:
	var files: Array = result.get("files", []) if result.get("files") is Array else []
	# Names run on in one wrapped paragraph; the tooltip lists them one a line.
	_result.text = "  ·  ".join(_strings(files))
	_result.tooltip_text = "\n".join(_strings(files))
	_show(
		"Exported %d file(s) into the folder of %s." % [files.size(), str(result.get("run", "?"))],
		StudioPalette.OK
	)
	_next_auto_action()


func _on_eval_reply(result: Dictionary) -> void:
	var lines: PackedStringArray = [
		"test ELBO %s   recon %s" % [_number(result.get("elbo")), _number(result.get("recon"))],
		(
			"KL %s   IS-NLL (k=%d) %s"
			% [_number(result.get("kl")), IW_SAMPLES, _number(result.get("nll"))]
		),
	]
	var active: Variant = result.get("active_units")
	var per_dim: Variant = result.get("per_dim_kl")
	var dims: String = ""
	if per_dim is Array:
		dims = " of %d" % (per_dim as Array).size()
	lines.append("active units %s%s" % [str(active) if active != null else "—", dims])
	if per_dim is Array and not (per_dim as Array).is_empty():
		var kls: PackedStringArray = []
		for value: Variant in (per_dim as Array).slice(0, 8):
			kls.append(_number(value))
		lines.append("KL per dim " + " ".join(kls))
	_result.text = "\n".join(lines)
	_result.tooltip_text = _result.text
	_show("Evaluated on the test split (nats per example).", StudioPalette.OK)
	_next_auto_action()


func _on_connection_changed(connected: bool) -> void:
	if not connected:
		_lists_asked = false
		_show("Runs are off until the backend is connected.", StudioPalette.TEXT_DIM)
	_update_enabled()


func _on_hello_received(_result: Dictionary) -> void:
	_ask_for_lists()


func _on_status_received(status: Dictionary) -> void:
	# A backend without `hello` ops still gets asked, on its first status.
	if not _lists_asked and StudioSession.connected:
		_ask_for_lists()
	if not _latent_spin.get_line_edit().has_focus() and _models.is_empty():
		var dim: Variant = status.get("latent_dim")
		if typeof(dim) in [TYPE_INT, TYPE_FLOAT]:
			_latent_spin.value = float(dim)


func _ask_for_lists() -> void:
	if _lists_asked:
		return
	_lists_asked = true
	var missing: PackedStringArray = []
	for op: String in ["model.list", "data.list", "run.new"]:
		if not StudioSession.supports(op):
			missing.append(op)
	if not missing.is_empty():
		_unsupported(missing)
		return
	_lists_pending = 2
	StudioSession.send("model.list", {}, _on_models_reply)
	StudioSession.send("data.list", {}, _on_datasets_reply)


func _on_models_reply(reply: Dictionary) -> void:
	_models = _maps(_result_field(reply, "models"))
	_fill(_model_option, _models, StudioSession.model_info().get("name", "vae"))
	_on_list_arrived(reply, "model.list")


func _on_datasets_reply(reply: Dictionary) -> void:
	_datasets = _maps(_result_field(reply, "datasets"))
	var dataset: Variant = StudioSession.status.get("dataset")
	_fill(_data_option, _datasets, dataset.get("name", "") if dataset is Dictionary else "")
	_on_data_selected(_data_option.selected)
	_on_list_arrived(reply, "data.list")


func _on_list_arrived(reply: Dictionary, op: String) -> void:
	_lists_pending -= 1
	if not reply.get("ok", false):
		if StudioSession.error_code(reply) == "unknown_op":
			_unsupported(PackedStringArray([op]))
		else:
			_fail(op, StudioSession.describe_failure(op, reply))
		_auto_finished = true
		return
	_describe()
	_update_enabled()
	if _lists_pending == 0 and _error.is_empty():
		if _message.text.begins_with("Runs are off") or _message.text.is_empty():
			_show("Pick a model and a data set, then New run.", StudioPalette.TEXT_DIM)
		_start_auto()


func _start_auto() -> void:
	if _auto_model.is_empty() or _auto_started:
		return
	_auto_started = true
	var data: String = str(StudioSession.options.get("auto-data", ""))
	for i in _datasets.size():
		if not data.is_empty() and _datasets[i].get("name") == data:
			_data_option.select(i)
			_on_data_selected(i)
	_path_edit.text = str(StudioSession.options.get("auto-data-path", _path_edit.text))
	for i in _models.size():
		if _models[i].get("name") == _auto_model:
			_model_option.select(i)
			_describe()
			new_run()
			return
	_fail("run.new", "--auto-new-run names no model the backend lists: %s." % _auto_model)
	_auto_finished = true


func _next_auto_action() -> void:
	if _auto_finished:
		return
	if _auto_actions.is_empty():
		_auto_finished = true
		return
	var action: String = _auto_actions[0]
	_auto_actions.remove_at(0)
	match action:
		"eval":
			evaluate()
		"save":
			save_run()
		"export":
			export_run()
		"list":
			list_runs()
		"load":
			_auto_load = true
			list_runs()
		_:
			_fail(
				"auto", "unknown --auto-actions step '%s': eval, save, export, list, load." % action
			)
			_auto_finished = true


func _on_model_selected(_index: int) -> void:
	_describe()


func _on_data_selected(_index: int) -> void:
	var data: Dictionary = _selected(_data_option, _datasets)
	_path_edit.visible = data.get("name", "") == "file"
	_describe()


func _describe() -> void:
	var model: Dictionary = _selected(_model_option, _models)
	var data: Dictionary = _selected(_data_option, _datasets)
	var parts: PackedStringArray = []
	if not model.is_empty():
		var text: String = str(model.get("description", "")).strip_edges()
		if model.get("conditional", false) == true:
			text += " Conditional: decodes take a class label."
		parts.append(text)
	if not data.is_empty():
		parts.append("Data: %s" % _data_summary(data))
	_description.text = "\n".join(parts)
	var tips: PackedStringArray = [_description.text]
	if not data.is_empty():
		tips.append(str(data.get("description", "")))
	_description.tooltip_text = "\n\n".join(tips)
	_model_option.tooltip_text = str(model.get("description", "The VAE variant to train"))
	_data_option.tooltip_text = str(data.get("description", "The data set to train on"))


static func _data_summary(data: Dictionary) -> String:
	var parts: PackedStringArray = []
	var shape: Variant = data.get("shape")
	if shape is Array and not (shape as Array).is_empty():
		parts.append("×".join(_strings(shape)))
	var n: Variant = data.get("n")
	if typeof(n) in [TYPE_INT, TYPE_FLOAT]:
		parts.append("%d rows" % int(n))
	if data.get("labels", false) == true:
		parts.append("labelled")
	var factors: Variant = data.get("factors")
	if factors is Array and not (factors as Array).is_empty():
		parts.append("factors " + ", ".join(PackedStringArray(factors)))
	if parts.is_empty():
		return str(data.get("description", data.get("name", "?")))
	return "%s · %s" % [data.get("name", "?"), " · ".join(parts)]


func _unsupported(ops: PackedStringArray) -> void:
	_models.clear()
	_datasets.clear()
	for option: OptionButton in [_model_option, _data_option]:
		option.clear()
		option.add_item("—")
	_description.text = ""
	var version: String = StudioSession.server_version
	_show(
		(
			"This backend%s does not support %s: update vaestudio to create runs here."
			% [" (vaestudio %s)" % version if not version.is_empty() else "", ", ".join(ops)]
		),
		StudioPalette.WARN
	)
	_auto_finished = true
	_update_enabled()


func _update_enabled() -> void:
	var idle: bool = StudioSession.connected and _busy_op.is_empty()
	var can_create: bool = not _models.is_empty() and not _datasets.is_empty()
	var buttons: Dictionary = {
		_new_button: "run.new",
		_save_button: "run.save",
		_load_button: "run.list",
		_export_button: "run.export",
		_eval_button: "eval",
	}
	for button: Button in buttons:
		var op: String = buttons[button]
		var supported: bool = StudioSession.supports(op)
		button.disabled = not idle or not supported or (button == _new_button and not can_create)
		if not supported:
			button.tooltip_text = "This backend does not support %s." % op
	for option: OptionButton in [_model_option, _data_option, _arch_option]:
		option.disabled = not idle or not can_create
	_latent_spin.editable = idle and can_create
	_path_edit.editable = idle and can_create
	_paused_check.disabled = not idle or not can_create


func _fail(op: String, message: String) -> void:
	_error = "%s failed — %s" % [op, message]
	_show(_error, StudioPalette.ERROR)


func _show(text: String, color: Color) -> void:
	_message.text = text
	_message.tooltip_text = text
	_message.add_theme_color_override("font_color", color)


## Items of `options` named by their `name`; the one called `current` is selected.
static func _fill(option: OptionButton, items: Array[Dictionary], current: String) -> void:
	option.clear()
	var chosen: int = 0
	for i in items.size():
		option.add_item(str(items[i].get("name", "?")))
		if items[i].get("name") == current:
			chosen = i
	if not items.is_empty():
		option.select(chosen)


static func _result_field(reply: Dictionary, key: String) -> Variant:
	var result: Variant = reply.get("result")
	if not reply.get("ok", false) or not result is Dictionary:
		return null
	return (result as Dictionary).get(key)


static func _selected(option: OptionButton, items: Array[Dictionary]) -> Dictionary:
	var index: int = option.selected
	return items[index] if index >= 0 and index < items.size() else {}


static func _maps(values: Variant) -> Array[Dictionary]:
	var maps: Array[Dictionary] = []
	if values is Array:
		for value: Variant in values:
			if value is Dictionary and (value as Dictionary).get("name") is String:
				maps.append(value)
	return maps


static func _strings(values: Array) -> PackedStringArray:
	var strings: PackedStringArray = []
	for value: Variant in values:
		strings.append(str(value))
	return strings


static func _number(value: Variant) -> String:
	if typeof(value) not in [TYPE_INT, TYPE_FLOAT]:
		return "—"
	var number: float = float(value)
	return "%.1f" % number if absf(number) >= 100.0 else "%.2f" % number

class_name RunsPanel
extends PanelContainer
## Runs: pick a model, a data set, the latent width and the architecture and start a new run
## (`run.new`); save, load and evaluate the live one, and open the Export tab for it. Load…
## lists the runs that have a checkpoint, newest first, to load one or delete one (`run.delete`,
## after a confirmation; never the live run). One request at a time: the buttons wait while it
## is pending, and the server's error sentence is shown in red. The sentence and the evaluation
## belong to the run they are about: another run coming live clears them. What it holds (the
## lists, the last results, the sentence shown) is in its public fields.

## The model and data set lists arrived: the form can be filled and New run pressed.
signal lists_received
## A request of this panel has its reply; when `ok` is false [member error] says why.
signal request_finished(op: String, ok: bool)
## Export… was pressed: the Export tab takes over, with run `run` (the live one) picked.
signal export_requested(run: String)

## Importance samples for the IS estimate of the test NLL (Burda et al.'s k).
const IW_SAMPLES: int = 50
const ARCHS: PackedStringArray = ["mlp", "conv"]
const LIVE_DELETE_HINT: String = "The live run cannot be deleted: start or load another run first."
## What each button's op is called while it is pending.
const BUSY_TEXT: Dictionary = {
	"run.new": "Building the new run… a large data set takes a few seconds",
	"run.save": "Saving a checkpoint…",
	"run.list": "Listing the saved runs…",
	"run.load": "Loading the run…",
	"run.delete": "Deleting the run…",
	"eval": "Evaluating on the test split (k = %d)…" % IW_SAMPLES,
}

## What `model.list` and `data.list` offered.
var models: Array[Dictionary] = []
var datasets: Array[Dictionary] = []
## The runs of the last `run.list` that can be loaded (they have a checkpoint), newest first,
## as the Load dialog lists them.
var saved_runs: Array[Dictionary] = []
## op -> result map of each op's last success.
var results: Dictionary = {}
## The last failure as shown ("" once a new request goes out).
var error: String = ""
## The sentence under the buttons, and the block above it (evaluation, exported files).
var message: String = ""
var result_text: String = ""
## The op waiting for its reply ("" when idle).
var busy_op: String = ""

var _busy_since_ms: int = 0
var _lists_asked: bool = false
var _lists_pending: int = 0
## Whether the message is only a hint (replaced once the lists arrive).
var _hint_shown: bool = false
## The run the message and the evaluation are about.
var _message_run: String = ""

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
@onready var _run_list: Tree = $LoadDialog/Rows/RunList
@onready var _delete_button: Button = $LoadDialog/Rows/DeleteRow/DeleteButton
@onready var _delete_hint: Label = $LoadDialog/Rows/DeleteRow/DeleteHint
@onready var _delete_dialog: ConfirmationDialog = $DeleteDialog


func _ready() -> void:
	_model_option.item_selected.connect(_on_model_selected)
	_data_option.item_selected.connect(_on_data_selected)
	_new_button.pressed.connect(new_run)
	_save_button.pressed.connect(save_run)
	_load_button.pressed.connect(list_runs)
	_export_button.pressed.connect(export_run)
	_eval_button.pressed.connect(evaluate)
	_load_dialog.confirmed.connect(_on_load_confirmed)
	_run_list.item_activated.connect(_on_run_activated)
	_run_list.item_selected.connect(_on_run_picked)
	_run_list.set_column_title(0, "run")
	_run_list.set_column_title(1, "model · data")
	_run_list.set_column_title(2, "step")
	_run_list.set_column_title(3, "saved")
	for column: int in [1, 2, 3]:
		_run_list.set_column_expand(column, false)
		_run_list.set_column_custom_minimum_width(column, [0, 130, 64, 140][column])
	_delete_button.pressed.connect(func() -> void: ask_delete(_picked_run()))
	_delete_dialog.confirmed.connect(func() -> void: delete_run(_delete_dialog.get_meta("run", "")))
	_delete_dialog.canceled.connect(_load_dialog.popup_centered)
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.hello_received.connect(_on_hello_received)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.run_changed.connect(_on_run_changed)
	_on_connection_changed(StudioSession.connected)
	set_process(false)


func _process(_delta: float) -> void:
	if busy_op.is_empty():
		set_process(false)
		return
	var seconds: int = (Time.get_ticks_msec() - _busy_since_ms) / 1000
	var text: String = BUSY_TEXT.get(busy_op, "Waiting for %s…" % busy_op)
	_show(text if seconds < 1 else "%s %d s" % [text, seconds], StudioPalette.ACCENT)


## Selects the model called `model_name` in the form, as the list does; false when not listed.
func select_model(model_name: String) -> bool:
	var index: int = _index_of(models, model_name)
	if index >= 0:
		_model_option.select(index)
		_on_model_selected(index)
	return index >= 0


## Selects the data set called `data_name` (and, for `file`, the path on the server).
func select_data(data_name: String, path: String = "") -> bool:
	var index: int = _index_of(datasets, data_name)
	if index >= 0:
		_data_option.select(index)
		_on_data_selected(index)
		if not path.is_empty():
			_path_edit.text = path
	return index >= 0


## Starts a run with what the form holds (the New run button).
func new_run() -> void:
	var model: Dictionary = _selected(_model_option, models)
	var data: Dictionary = _selected(_data_option, datasets)
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


## Opens the Export tab for the live run (the Export… button): it copies the run's files to
## this machine.
func export_run() -> void:
	export_requested.emit(str(StudioSession.status.get("run", "")))


func evaluate() -> void:
	_request("eval", {"split": "test", "iw_samples": IW_SAMPLES}, _on_eval_reply)


## Loads the saved run called `run` (what the Load dialog does with the run picked in it).
func load_run(run: String) -> void:
	_load_dialog.hide()
	_request("run.load", {"run": run}, _on_load_reply)


## Asks to delete run `run` (the Load dialog's Delete…): a confirmation opens; the live run is
## refused here with a sentence saying why. False when nothing opened.
func ask_delete(run: String) -> bool:
	if run.is_empty():
		return false
	if _is_live(run):
		_fail("run.delete", LIVE_DELETE_HINT)
		return false
	# One modal window at a time: the list comes back after the answer (or Cancel).
	_load_dialog.hide()
	_delete_dialog.set_meta("run", run)
	_delete_dialog.dialog_text = (
		"Delete run %s?\nIts folder on the server goes, with its checkpoint, metrics and exports."
		% run
	)
	_delete_dialog.popup_centered()
	return true


## The confirmation of [method ask_delete]; its OK button deletes the run.
func delete_dialog() -> ConfirmationDialog:
	return _delete_dialog


## Deletes run `run` on the server (`run.delete`), then lists the runs again.
func delete_run(run: String) -> void:
	if not run.is_empty():
		_request("run.delete", {"run": run}, _on_delete_reply)


## The runs of a `run.list` reply (its `runs`) newest first: by `updated` (the last save or
## config change), else `created`; both are ISO times, so the strings sort by time.
static func newest_first(entries: Variant) -> Array[Dictionary]:
	# [time, position, entry]: runs saved in the same second keep the server's order.
	var keyed: Array = []
	if entries is Array:
		for entry: Variant in entries:
			if entry is Dictionary and (entry as Dictionary).get("run") is String:
				keyed.append([_when(entry), keyed.size(), entry])
	keyed.sort_custom(
		func(a: Array, b: Array) -> bool: return a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])
	)
	var out: Array[Dictionary] = []
	for item: Array in keyed:
		out.append(item[2])
	return out


## The runs that can be loaded: those with a checkpoint (every run, from a backend whose
## `run.list` does not say), newest first.
static func loadable_runs(entries: Variant) -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for entry: Dictionary in newest_first(entries):
		if entry.get("checkpoint", true) == true:
			out.append(entry)
	return out


## "vae on digits · step 2330 · saved 2026-11-26 10:04" for a `run.list` entry.
static func describe_run(entry: Dictionary) -> String:
	var parts: PackedStringArray = [
		"%s on %s" % [entry.get("model", "?"), entry.get("data", "?")],
		"step %s" % str(entry.get("step", "?")),
	]
	var when: String = _when(entry).left(16).replace("T", " ")
	if not when.is_empty():
		parts.append("saved " + when)
	return " · ".join(parts)


static func _when(entry: Dictionary) -> String:
	return str(entry.get("updated", entry.get("created", "")))


func _request(op: String, args: Dictionary, on_ok: Callable) -> void:
	if not busy_op.is_empty():
		return
	busy_op = op
	_busy_since_ms = Time.get_ticks_msec()
	error = ""
	_update_enabled()
	set_process(true)
	_process(0.0)
	StudioSession.send(op, args, _on_reply.bind(on_ok))


func _on_reply(request: VaeStudioRequest, on_ok: Callable) -> void:
	busy_op = ""
	_update_enabled()
	if request.is_ok():
		results[request.op] = request.result()
		on_ok.call(request.result())
	else:
		_fail(request.op, StudioSession.describe_failure(request))
	request_finished.emit(request.op, request.is_ok())


func _on_new_run_reply(result: Dictionary) -> void:
	_show_result("", "")
	var run: String = str(result.get("run", "?"))
	_show("Started a new run: %s." % run, StudioPalette.OK, false, run)
	StudioSession.refresh_status()


func _on_save_reply(result: Dictionary) -> void:
	var run: String = str(result.get("run", "?"))
	_show(
		(
			(
				"Saved %s at step %s on the backend, into the folder %s/ of its runs folder"
				% [run, str(result.get("step", "?")), run]
			)
			+ " (--runs-dir). Export… copies its files to this machine."
		),
		StudioPalette.OK
	)


func _on_list_reply(result: Dictionary) -> void:
	saved_runs = loadable_runs(result.get("runs"))
	_fill_run_list()
	if saved_runs.is_empty():
		_load_dialog.hide()
		_show("No saved runs yet: Save writes the live one.", StudioPalette.TEXT_DIM)
		return
	_show("%d saved run(s)." % saved_runs.size(), StudioPalette.TEXT_DIM)
	if not _load_dialog.visible:
		_load_dialog.popup_centered()


## One row per loadable run: name (and "live"), model and data, step, when it was saved.
func _fill_run_list() -> void:
	_run_list.clear()
	var root: TreeItem = _run_list.create_item()
	for entry: Dictionary in saved_runs:
		var row: TreeItem = _run_list.create_item(root)
		var run: String = entry["run"]
		row.set_text(0, run + ("  · live" if _is_live(run) else ""))
		row.set_tooltip_text(0, run)
		row.set_metadata(0, run)
		row.set_text(1, "%s · %s" % [entry.get("model", "?"), entry.get("data", "?")])
		row.set_text(2, str(entry.get("step", "?")))
		row.set_text_alignment(2, HORIZONTAL_ALIGNMENT_RIGHT)
		row.set_text(3, _when(entry).left(16).replace("T", " "))
		if _is_live(run):
			row.set_custom_color(0, StudioPalette.ACCENT)
	var first: TreeItem = root.get_first_child()
	if first != null:
		first.select(0)
	_on_run_picked()


## The run picked in the Load dialog ("" when none).
func _picked_run() -> String:
	var row: TreeItem = _run_list.get_selected()
	return str(row.get_metadata(0)) if row != null else ""


func _on_run_picked() -> void:
	var run: String = _picked_run()
	var live: bool = _is_live(run)
	_delete_button.disabled = run.is_empty() or live or not StudioSession.supports("run.delete")
	_delete_hint.text = LIVE_DELETE_HINT if live else ""
	if not StudioSession.supports("run.delete"):
		_delete_hint.text = "This backend cannot delete runs: update vaestudio."


func _on_run_activated() -> void:
	_load_dialog.hide()
	_on_load_confirmed()


func _on_load_confirmed() -> void:
	var run: String = _picked_run()
	if not run.is_empty():
		load_run(run)


func _on_delete_reply(result: Dictionary) -> void:
	_show("Deleted run %s." % str(result.get("run", "?")), StudioPalette.OK)
	_request("run.list", {}, _on_list_reply)


func _is_live(run: String) -> bool:
	for entry: Dictionary in saved_runs:
		if entry["run"] == run and entry.get("live", false) == true:
			return true
	return not run.is_empty() and run == str(StudioSession.status.get("run", ""))


func _on_load_reply(result: Dictionary) -> void:
	_show(
		(
			"Loaded %s at step %s (paused: press Train to continue)."
			% [str(result.get("run", "?")), str(result.get("step", "?"))]
		),
		StudioPalette.OK,
		false,
		str(result.get("run", ""))
	)
	StudioSession.refresh_status()


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
	_show_result("\n".join(lines), "\n".join(lines))
	_show("Evaluated on the test split (nats per example).", StudioPalette.OK)


func _on_connection_changed(connected: bool) -> void:
	if not connected:
		_lists_asked = false
		busy_op = ""
		_show("Runs are off until the backend is connected.", StudioPalette.TEXT_DIM, true)
	_update_enabled()


## What was said about another run is no longer true once a different run is live.
func _on_run_changed(run: String) -> void:
	if run == _message_run or not busy_op.is_empty():
		return
	_show_result("", "")
	if not _hint_shown and error.is_empty():
		_show("Pick a model and a data set, then New run.", StudioPalette.TEXT_DIM, true)


func _on_hello_received(_result: Dictionary) -> void:
	_ask_for_lists()


func _on_status_received(status: Dictionary) -> void:
	# A backend without `hello` ops still gets asked, on its first status.
	if not _lists_asked and StudioSession.connected:
		_ask_for_lists()
	if not _latent_spin.get_line_edit().has_focus() and models.is_empty():
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


func _on_models_reply(request: VaeStudioRequest) -> void:
	models = _maps(request.result().get("models"))
	_fill(_model_option, models, StudioSession.model_info().get("name", "vae"))
	_on_list_arrived(request)


func _on_datasets_reply(request: VaeStudioRequest) -> void:
	datasets = _maps(request.result().get("datasets"))
	var dataset: Variant = StudioSession.status.get("dataset")
	_fill(_data_option, datasets, dataset.get("name", "") if dataset is Dictionary else "")
	_on_data_selected(_data_option.selected)
	_on_list_arrived(request)


func _on_list_arrived(request: VaeStudioRequest) -> void:
	_lists_pending -= 1
	if not request.is_ok():
		if request.error_code() == "unknown_op":
			_unsupported(PackedStringArray([request.op]))
		else:
			_fail(request.op, StudioSession.describe_failure(request))
		request_finished.emit(request.op, false)
		return
	_describe()
	_update_enabled()
	if _lists_pending == 0 and error.is_empty():
		if _hint_shown or message.is_empty():
			_show("Pick a model and a data set, then New run.", StudioPalette.TEXT_DIM, true)
		lists_received.emit()


func _on_model_selected(_index: int) -> void:
	_describe()


func _on_data_selected(_index: int) -> void:
	var data: Dictionary = _selected(_data_option, datasets)
	_path_edit.visible = data.get("name", "") == "file"
	_describe()


func _describe() -> void:
	var model: Dictionary = _selected(_model_option, models)
	var data: Dictionary = _selected(_data_option, datasets)
	var parts: PackedStringArray = []
	if not model.is_empty():
		var text: String = str(model.get("description", "")).strip_edges()
		if model.get("conditional", false) == true:
			text += " Conditional: decodes take a class label."
		parts.append(text)
	if not data.is_empty():
		parts.append("Data: %s" % _data_summary(data))
	_description.text = "\n".join(parts)
	var tips: PackedStringArray = ["\n".join(parts)]
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
	models.clear()
	datasets.clear()
	for option: OptionButton in [_model_option, _data_option]:
		option.clear()
		option.add_item("—")
	_description.text = ""
	var version: String = StudioSession.server_version
	var missing: PackedStringArray = []
	for op in ops:
		missing.append(str(StudioNotices.OP_TITLES.get(op, "a request")).to_lower())
	_show(
		(
			(
				"This backend%s is older than the Studio and cannot do it all (%s): update vaestudio to"
				% [
					" (vaestudio %s)" % version if not version.is_empty() else "",
					", ".join(missing)
				]
			)
			+ " create runs here."
		),
		StudioPalette.WARN
	)
	_update_enabled()


func _update_enabled() -> void:
	var idle: bool = StudioSession.connected and busy_op.is_empty()
	var can_create: bool = not models.is_empty() and not datasets.is_empty()
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
			button.tooltip_text = "This backend cannot do this: update vaestudio."
	for option: OptionButton in [_model_option, _data_option, _arch_option]:
		option.disabled = not idle or not can_create
	_latent_spin.editable = idle and can_create
	_path_edit.editable = idle and can_create
	_paused_check.disabled = not idle or not can_create


func _fail(op: String, why: String) -> void:
	error = StudioNotices.request_text(op, why)
	_show(error, StudioPalette.ERROR)


## Shows `text`, about run `run` (default: the live one).
func _show(text: String, color: Color, hint: bool = false, run: String = "") -> void:
	message = text
	_hint_shown = hint
	_message_run = run if not run.is_empty() else StudioSession.live_run
	_message.text = text
	_message.tooltip_text = text
	_message.add_theme_color_override("font_color", color)


func _show_result(text: String, tooltip: String) -> void:
	result_text = text
	_result.text = text
	_result.tooltip_text = tooltip


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


static func _index_of(items: Array[Dictionary], item_name: String) -> int:
	for i in items.size():
		if items[i].get("name") == item_name:
			return i
	return -1


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

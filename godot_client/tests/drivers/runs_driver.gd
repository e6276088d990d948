extends Node
## Drives the Runs panel the way a user does, through its public methods and signals (added by
## studio_driver.gd):
##   -- [--auto-new-run=MODEL [--auto-data=NAME] [--auto-data-path=PATH]]
##      [--auto-actions=eval,save,export,list,load,delete] [--auto-delete=RUN,…]
## Once the panel has its lists it selects the data set (and the `file` path) and MODEL and
## presses New run (without MODEL it starts with the actions); then it presses each action's
## button in turn, each after the previous reply (`load` lists the runs and loads the one saved
## last, else the newest; `export` opens the Export tab; each `delete` picks the next RUN
## ("live": the live run) in the Load dialog, presses Delete… and confirms, or notes that the
## panel refused, as it does for the live run). A failure stops the sequence: the panel's
## [member RunsPanel.error] says why.

const ACTIONS: PackedStringArray = ["eval", "save", "export", "list", "load", "delete"]

var panel: RunsPanel
## The Export tab, which the Export… button opens.
var export_view: ExportView
var model: String = ""
var actions: PackedStringArray = []
var data: String = ""
var data_path: String = ""
var delete_runs: PackedStringArray = []
## True once the sequence has run to its end or stopped.
var finished: bool = false
## Why the driver itself stopped (an argument that names nothing the backend lists).
var error: String = ""

var _started: bool = false
var _loading: bool = false
## The Load dialog's runs after each `run.list`, in the order shown.
var _lists: Array = []
## One entry per `delete`: the run, whether Delete… was disabled for it, whether it was refused.
var _deletes: Array[Dictionary] = []
var _export_requested: String = ""


## Takes MODEL, the data set and the actions from the user arguments.
func configure(options: Dictionary) -> void:
	model = str(options.get("auto-new-run", ""))
	actions = str(options.get("auto-actions", "")).split(",", false)
	data = str(options.get("auto-data", ""))
	data_path = str(options.get("auto-data-path", ""))
	delete_runs = str(options.get("auto-delete", "")).split(",", false)


func _ready() -> void:
	panel.lists_received.connect(_on_lists_received)
	panel.request_finished.connect(_on_request_finished)
	panel.export_requested.connect(func(run: String) -> void: _export_requested = run)
	if not panel.models.is_empty() and not panel.datasets.is_empty():
		_on_lists_received()


## What the panel shows and did, for the screenshot report.
func report() -> Dictionary:
	return {
		"models": panel.models.map(func(m: Dictionary) -> String: return str(m.get("name"))),
		"datasets": panel.datasets.map(func(d: Dictionary) -> String: return str(d.get("name"))),
		"results": panel.results,
		"error": error if not error.is_empty() else panel.error,
		"message": panel.message,
		"result_text": panel.result_text,
		"busy": panel.busy_op,
		"auto_finished": finished,
		"load_lists": _lists,
		"deletes": _deletes,
		"export_requested": _export_requested,
		"export_view_visible": export_view != null and export_view.is_visible_in_tree(),
		"export_view_run": export_view.run_section.selected_run() if export_view != null else "",
	}


func _on_lists_received() -> void:
	if _started or finished:
		return
	_started = true
	if model.is_empty():
		_next_action()
		return
	if not data.is_empty() and not panel.select_data(data, data_path):
		_stop("--auto-data names no data set the backend lists: %s." % data)
		return
	if not panel.select_model(model):
		_stop("--auto-new-run names no model the backend lists: %s." % model)
		return
	panel.new_run()


func _on_request_finished(op: String, ok: bool) -> void:
	if finished:
		return
	if not ok:
		_stop("")
		return
	if op == "run.delete":
		return  # the panel lists the runs again; that reply moves on
	if op == "run.list":
		_lists.append(panel.saved_runs.map(_list_entry))
	if op == "run.list" and _loading:
		_loading = false
		if not panel.saved_runs.is_empty():
			panel.load_run(_run_to_load())
			return
	if _started:
		_next_action()


## The run saved last by this sequence when it is listed, else the newest.
func _run_to_load() -> String:
	var saved: String = str(panel.results.get("run.save", {}).get("run", ""))
	for entry: Dictionary in panel.saved_runs:
		if entry["run"] == saved:
			return saved
	return str(panel.saved_runs[0]["run"])


func _next_action() -> void:
	if actions.is_empty():
		finished = true
		return
	var action: String = actions[0]
	actions.remove_at(0)
	match action:
		"eval":
			panel.evaluate()
		"save":
			panel.save_run()
		"export":
			panel.export_run()
			_next_action()
		"list":
			panel.list_runs()
		"load":
			_loading = true
			panel.list_runs()
		"delete":
			_delete()
		_:
			_stop("unknown --auto-actions step '%s': %s." % [action, ", ".join(ACTIONS)])


## Picks RUN ("live": the live run) in the Load dialog and presses Delete…, then the
## confirmation's Delete; the panel refuses the live run, which is noted.
func _delete() -> void:
	var run: String = delete_runs[0] if not delete_runs.is_empty() else ""
	if not delete_runs.is_empty():
		delete_runs.remove_at(0)
	if run == "live":
		run = str(StudioSession.status.get("run", ""))
	var delete_button: Button = panel.get_node("LoadDialog/Rows/DeleteRow/DeleteButton")
	var tree: Tree = panel.get_node("LoadDialog/Rows/RunList")
	var row: TreeItem = tree.get_root().get_first_child() if tree.get_root() != null else null
	while row != null and str(row.get_metadata(0)) != run:
		row = row.get_next()
	if row != null:
		row.select(0)
	var refused: bool = not panel.ask_delete(run)
	_deletes.append({"run": run, "button_disabled": delete_button.disabled, "refused": refused})
	if refused:
		_next_action()
		return
	panel.delete_dialog().get_ok_button().pressed.emit()


static func _list_entry(entry: Dictionary) -> Dictionary:
	return {
		"run": entry["run"],
		"step": entry.get("step"),
		"updated": entry.get("updated", ""),
		"checkpoint": entry.get("checkpoint"),
		"live": entry.get("live"),
	}


func _stop(why: String) -> void:
	error = why
	finished = true

extends Node
## Drives the Runs panel the way a user does, through its public methods and signals (added by
## studio_driver.gd):
##   -- --auto-new-run=MODEL [--auto-data=NAME] [--auto-data-path=PATH]
##      [--auto-actions=eval,save,export,list,load]
## Once the panel has its lists it selects the data set (and the `file` path) and MODEL and
## presses New run; then it presses each action's button in turn, each after the previous
## reply (`load` lists the runs and loads the one saved last, else the newest). A failure stops
## the sequence: the panel's [member RunsPanel.error] says why.

const ACTIONS: PackedStringArray = ["eval", "save", "export", "list", "load"]

var panel: RunsPanel
var model: String = ""
var actions: PackedStringArray = []
var data: String = ""
var data_path: String = ""
## True once the sequence has run to its end or stopped.
var finished: bool = false
## Why the driver itself stopped (an argument that names nothing the backend lists).
var error: String = ""

var _started: bool = false
var _loading: bool = false


## Takes MODEL, the data set and the actions from the user arguments.
func configure(options: Dictionary) -> void:
	model = str(options.get("auto-new-run", ""))
	actions = str(options.get("auto-actions", "")).split(",", false)
	data = str(options.get("auto-data", ""))
	data_path = str(options.get("auto-data-path", ""))


func _ready() -> void:
	panel.lists_received.connect(_on_lists_received)
	panel.request_finished.connect(_on_request_finished)
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
	}


func _on_lists_received() -> void:
	if _started or finished:
		return
	_started = true
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
		"list":
			panel.list_runs()
		"load":
			_loading = true
			panel.list_runs()
		_:
			_stop("unknown --auto-actions step '%s': %s." % [action, ", ".join(ACTIONS)])


func _stop(why: String) -> void:
	error = why
	finished = true

class_name ExportRunSection
extends PanelContainer
## "Run files → this machine": pick a run (the live one by default), the `run.export` items and
## a folder here, and Export: the server writes the items into the run's folder, then every file
## it listed is copied over in chunks and checked against its SHA-256 ([ExportFetcher]), with a
## progress bar and Cancel. A folder that cannot be written is refused before anything is sent;
## a lost connection or an error keeps the finished files, removes the partial one and offers
## Retry. Training goes on throughout. What it holds is in its public fields.

## An export ended: every file copied and checked (`ok`), or it failed or was cancelled.
signal export_finished(ok: bool)

## The runs to pick from (live or with a checkpoint), newest first.
var runs: Array[Dictionary] = []
## The copy in progress or last done (its files, progress and error).
var fetcher: ExportFetcher
## The sentence under the buttons; the last failure ("" after a success).
var message: String = ""
var error: String = ""

var _checks: Dictionary = {}
var _list_asked: bool = false
var _wanted_run: String = ""

@onready var folder_row: ExportFolderRow = $Rows/Grid/FolderRow
@onready var _run_option: OptionButton = $Rows/Grid/RunRow/RunOption
@onready var _refresh_button: Button = $Rows/Grid/RunRow/RefreshButton
@onready var _items_flow: HFlowContainer = $Rows/Grid/ItemsRow/Items
@onready var _export_button: Button = $Rows/Buttons/ExportButton
@onready var _cancel_button: Button = $Rows/Buttons/CancelButton
@onready var _retry_button: Button = $Rows/Buttons/RetryButton
@onready var _all_button: Button = $Rows/Grid/ItemsRow/AllButton
@onready var _progress: ProgressBar = $Rows/Buttons/Progress/Bar
@onready var _progress_text: Label = $Rows/Buttons/Progress/Text
@onready var _files: ItemList = $Rows/Files
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	fetcher = ExportFetcher.new(StudioSession.send)
	fetcher.progressed.connect(_on_progressed)
	fetcher.finished.connect(_on_finished)
	for item: String in ExportPlan.ITEMS:
		var check := CheckBox.new()
		check.text = item
		check.button_pressed = true
		check.tooltip_text = ExportPlan.ITEM_HELP.get(item, item)
		check.toggled.connect(func(_on: bool) -> void: _update_enabled())
		_items_flow.add_child(check)
		_checks[item] = check
	# A run the user picks stays picked when the list is asked again; the default (the live
	# run) follows the live run.
	_run_option.item_selected.connect(
		func(index: int) -> void:
			_wanted_run = selected_run()
			_on_run_selected(index)
	)
	_refresh_button.pressed.connect(refresh_runs)
	_all_button.pressed.connect(_toggle_all)
	_export_button.pressed.connect(start_export)
	_cancel_button.pressed.connect(cancel_export)
	_retry_button.pressed.connect(retry_export)
	visibility_changed.connect(_on_visibility_changed)
	folder_row.open_failed.connect(_fail)
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.hello_received.connect(_on_hello_received)
	StudioSession.endpoints_changed.connect(_on_endpoints_changed)
	StudioSession.run_changed.connect(func(_run: String) -> void: refresh_runs())
	_progress.value = 0.0
	_progress_text.text = ""
	_show("Pick a run, the items and a folder, then Export.", StudioPalette.TEXT_DIM)
	_update_enabled()


## Asks the server for its runs (`run.list`) to fill the run menu.
func refresh_runs() -> void:
	if _list_asked or not StudioSession.connected:
		return
	_list_asked = true
	StudioSession.send("run.list", {}, _on_list_reply)


## Picks run `run` in the menu (or remembers it until the list has it); false when not listed.
func select_run(run: String) -> bool:
	_wanted_run = run
	for i in runs.size():
		if runs[i]["run"] == run:
			_run_option.select(i)
			_on_run_selected(i)
			return true
	return false


## The run picked in the menu ("" before the list arrived).
func selected_run() -> String:
	var index: int = _run_option.selected
	return str(runs[index]["run"]) if index >= 0 and index < runs.size() else ""


## Ticks exactly the items of `items` (the rest are unticked).
func set_items(items: PackedStringArray) -> void:
	for item: String in _checks:
		(_checks[item] as CheckBox).button_pressed = items.has(item)


func checked_items() -> PackedStringArray:
	var out: PackedStringArray = []
	for item: String in ExportPlan.ITEMS:
		if (_checks[item] as CheckBox).button_pressed:
			out.append(item)
	return out


## Exports the picked run's ticked items into the folder (the Export button).
func start_export() -> void:
	var run: String = selected_run()
	var items: PackedStringArray = checked_items()
	if run.is_empty() or items.is_empty():
		_fail("Pick a run and at least one item first.")
		return
	_files.clear()
	fetcher.labelled = -1
	if run == StudioSession.live_run:
		fetcher.labelled = 1 if StudioSession.is_conditional() else 0
	fetcher.start(run, items, folder_row.folder)


func cancel_export() -> void:
	fetcher.cancel()


## Goes on after a failure or a cancel, keeping the files already copied (the Retry button).
func retry_export() -> void:
	fetcher.retry()


func _on_list_reply(request: VaeStudioRequest) -> void:
	_list_asked = false
	if not request.is_ok():
		_fail(StudioNotices.request_text("run.list", StudioSession.describe_failure(request)))
		return
	var live: String = str(StudioSession.status.get("run", ""))
	var keep: String = _wanted_run
	# A run without a checkpoint has no model to export, unless it is the live one.
	runs.clear()
	for entry: Dictionary in RunsPanel.newest_first(request.result().get("runs")):
		if entry.get("checkpoint", true) == true or _is_live(entry, live):
			runs.append(entry)
	if not live.is_empty() and not runs.any(func(e: Dictionary) -> bool: return e["run"] == live):
		runs.push_front({"run": live, "live": true})
	_run_option.clear()
	for entry: Dictionary in runs:
		var what: String = RunsPanel.describe_run(entry)
		if _is_live(entry, live):
			# The listing's step is the last save's; the live run is further on.
			var dataset: Variant = StudioSession.status.get("dataset")
			what = (
				"%s on %s · live"
				% [
					StudioSession.model_info().get("name", entry.get("model", "?")),
					dataset.get("name", "?") if dataset is Dictionary else entry.get("data", "?"),
				]
			)
		_run_option.add_item("%s · %s" % [entry["run"], what])
	if keep.is_empty() or not select_run(keep):
		var first_live: int = runs.find_custom(
			func(e: Dictionary) -> bool: return _is_live(e, live)
		)
		if first_live >= 0:
			_run_option.select(first_live)
			_on_run_selected(first_live)
	_update_enabled()


func _on_run_selected(_index: int) -> void:
	var run: String = selected_run()
	if not run.is_empty():
		folder_row.set_default(ExportPlan.default_folder(run))
	_update_enabled()


func _on_progressed() -> void:
	var total: int = fetcher.bytes_total
	_progress.max_value = maxf(float(total), 1.0)
	_progress.value = float(fetcher.bytes_done)
	match fetcher.state:
		ExportFetcher.State.EXPORTING:
			_progress_text.text = "The server writes the items into the run's folder…"
		ExportFetcher.State.SIZING:
			_progress_text.text = "Asking each file's size and SHA-256… %s" % fetcher.current
		ExportFetcher.State.FETCHING:
			var index: int = fetcher.files.find(fetcher.current)
			_progress_text.text = ExportPlan.describe_progress(
				fetcher.bytes_done, total, fetcher.current, index, fetcher.files.size()
			)
	_list_files()
	_update_enabled()


func _on_finished(ok: bool) -> void:
	var where: String = fetcher.folder
	var skipped: String = ""
	if not fetcher.skipped.is_empty():
		skipped = " Skipped: %s." % "; ".join(fetcher.skipped)
	if ok:
		error = ""
		_progress_text.text = (
			"%s · every SHA-256 checked" % ExportPlan.human_bytes(fetcher.bytes_total)
		)
		_show(
			(
				"Exported %d file(s) of %s into %s.%s"
				% [fetcher.done.size(), fetcher.run, where, skipped]
			),
			StudioPalette.OK
		)
	elif fetcher.state == ExportFetcher.State.CANCELLED:
		error = ""
		_show(
			"Cancelled: %d file(s) are in %s. Retry goes on." % [fetcher.done.size(), where],
			StudioPalette.WARN
		)
	else:
		_fail(fetcher.error)
	_list_files()
	_update_enabled()
	export_finished.emit(ok)


## One line per file: done (✓), in progress (…) or waiting, with its size.
func _list_files() -> void:
	_files.clear()
	for path: String in fetcher.files:
		var size: int = int(fetcher.remote.get(path, {}).get("size", -1))
		var size_text: String = ExportPlan.human_bytes(size) if size >= 0 else ""
		var mark: String = "  "
		if fetcher.done.has(path):
			mark = "✓ "
		elif path == fetcher.current and fetcher.is_busy():
			mark = "… "
		_files.add_item("%s%s   %s" % [mark, path, size_text])
	for entry: String in fetcher.skipped:
		_files.add_item("– %s skipped" % entry.get_slice(":", 0))
		_files.set_item_tooltip(_files.item_count - 1, entry)
		_files.set_item_custom_fg_color(_files.item_count - 1, StudioPalette.TEXT_DIM)


func _on_connection_changed(connected: bool) -> void:
	if connected:
		refresh_runs()
	else:
		_list_asked = false
	_update_enabled()


func _on_hello_received(_result: Dictionary) -> void:
	refresh_runs()
	if not StudioSession.supports("run.fetch"):
		var version: String = StudioSession.server_version
		_show(
			(
				"This backend%s cannot send files: update vaestudio to export here."
				% [" (vaestudio %s)" % version if not version.is_empty() else ""]
			),
			StudioPalette.WARN
		)
	_update_enabled()


## The connect dialog replaced the client: replies to this export will never come.
func _on_endpoints_changed(control: String, _stream: String) -> void:
	_list_asked = false
	fetcher.abort("The Studio connected to %s: this export stopped there." % control)


func _on_visibility_changed() -> void:
	if is_visible_in_tree():
		refresh_runs()


func _toggle_all() -> void:
	var all_on: bool = checked_items().size() == ExportPlan.ITEMS.size()
	set_items(PackedStringArray() if all_on else ExportPlan.ITEMS)


func _update_enabled() -> void:
	var busy: bool = fetcher.is_busy()
	var supported: bool = StudioSession.supports("run.fetch")
	var can_start: bool = StudioSession.connected and supported and not busy
	_export_button.disabled = not can_start or selected_run().is_empty()
	_export_button.disabled = _export_button.disabled or checked_items().is_empty()
	_export_button.tooltip_text = (
		"The backend writes the files into its run folder, then sends each into your folder"
		if supported
		else "This backend cannot send files: update vaestudio to export from here."
	)
	_cancel_button.disabled = not busy
	_retry_button.visible = fetcher.can_retry()
	_retry_button.disabled = not StudioSession.connected
	_run_option.disabled = busy
	_refresh_button.disabled = busy or not StudioSession.connected
	folder_row.set_editable(not busy)
	for check: CheckBox in _checks.values():
		check.disabled = busy


static func _is_live(entry: Dictionary, live: String) -> bool:
	return entry.get("live", false) == true or str(entry.get("run", "")) == live


func _fail(why: String) -> void:
	error = why
	_show(why, StudioPalette.ERROR)


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.tooltip_text = text
	_message.add_theme_color_override("font_color", color)

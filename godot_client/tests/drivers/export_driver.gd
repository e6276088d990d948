extends Node
## Operates the Export tab as a user does, through its sections' public methods (added by
## studio_driver.gd when `--view=export`):
##   -- --view=export [--export-run=NAME] [--export-items=a,b,…] [--export-to=PATH]
##      [--export-chunk=BYTES] [--export-retry]
##      [--studio-save=latent,decoded,strip,grid,points] [--studio-to=PATH]
##      [--studio-sequence=EVERY,COUNT]
## Run files (with --export-to or --export-items): once the run list is in, picks NAME (default:
## the live run) and the items (default: all), types PATH as the folder (default: the tab's
## own), sets the chunk size and presses Export; with --export-retry, after a failure it waits
## for the backend to be back and presses Retry (once). Studio saves (after the export): once
## the run has latent frames and a decode, presses each save button in turn ("strip" first pins
## two z and decodes the path between them), then records a PNG sequence of COUNT pictures, one
## every EVERY latent frames. [method report] says what was shown and written.

## Latent frames of the live run to wait for before the Studio saves.
const SETTLE_FRAMES: int = 3
## Seconds between the failure and Retry, so the backend that went away is seen as gone.
const RETRY_AFTER_S: float = 1.0

var view: ExportView
var interpolation: InterpolationPanel
var finished: bool = false

var _run: String = ""
var _items: PackedStringArray = []
var _to: String = ""
var _chunk: int = 0
var _retry: bool = false
var _export: bool = false
var _saves: PackedStringArray = []
var _studio_to: String = ""
var _sequence_every: int = 0
var _sequence_count: int = 0
var _stage: int = 0
var _waiting: bool = false
var _failed_s: float = -1.0
var _retried: bool = false
## One entry per ended export attempt: its state, error, finished files and the .part files
## left in the folder at that moment.
var _attempts: Array[Dictionary] = []
var _saved: Dictionary = {}
var _save_errors: Dictionary = {}
var _sources: Dictionary = {}
var _driver_error: String = ""
## When Export was pressed and when the last attempt ended (ticks, ms).
var _started_ms: int = 0
var _ended_ms: int = 0


func configure(options: Dictionary) -> void:
	_run = str(options.get("export-run", ""))
	_items = str(options.get("export-items", "")).split(",", false)
	_to = str(options.get("export-to", ""))
	_chunk = int(options.get("export-chunk", 0))
	_retry = options.has("export-retry")
	_export = options.has("export-to") or options.has("export-items") or options.has("export-run")
	_saves = str(options.get("studio-save", "")).split(",", false)
	_studio_to = str(options.get("studio-to", ""))
	var sequence: PackedStringArray = str(options.get("studio-sequence", "")).split(",")
	if sequence.size() == 2 and sequence[0].is_valid_int() and sequence[1].is_valid_int():
		_sequence_every = sequence[0].to_int()
		_sequence_count = sequence[1].to_int()


func _ready() -> void:
	view.run_section.export_finished.connect(_on_export_finished)
	view.studio_section.saved.connect(_on_saved)


func _process(delta: float) -> void:
	if finished:
		return
	if _failed_s >= 0.0:
		_failed_s += delta
		if _failed_s >= RETRY_AFTER_S and StudioSession.connected:
			_failed_s = -1.0
			_retried = true
			view.run_section.retry_export()
		return
	if _waiting:
		return
	match _stage:
		0:
			if StudioSession.connected and not view.run_section.runs.is_empty():
				_stage = 1 if _export else 2
		1:
			_start_export()
		2:
			if _saves.is_empty() and _sequence_count == 0:
				finished = true
			elif _settled():
				if not _studio_to.is_empty():
					view.studio_section.folder_row.set_folder(_studio_to)
				_stage = 3
		3:
			_next_save()
		4:
			var studio: ExportStudioSection = view.studio_section
			if not studio.recording:
				studio.start_sequence(_sequence_every)
			elif studio.sequence_frames >= _sequence_count:
				studio.stop_sequence()
				finished = true


## What the tab shows and wrote, for the screenshot report.
func report() -> Dictionary:
	var section: ExportRunSection = view.run_section
	var fetcher: ExportFetcher = section.fetcher
	var studio: ExportStudioSection = view.studio_section
	return {
		"runs": section.runs.map(func(e: Dictionary) -> String: return str(e["run"])),
		"selected_run": section.selected_run(),
		"run": fetcher.run,
		"items": Array(section.checked_items()),
		"folder": fetcher.folder,
		"default_folder": section.folder_row.folder,
		"state": ExportFetcher.State.keys()[fetcher.state],
		"error": fetcher.error,
		"message": section.message,
		"files": Array(fetcher.files),
		"done": Array(fetcher.done),
		"skipped": Array(fetcher.skipped),
		"remote": fetcher.remote,
		"bytes_done": fetcher.bytes_done,
		"bytes_total": fetcher.bytes_total,
		"chunks_fetched": fetcher.chunks_fetched,
		"export_s": (_ended_ms - _started_ms) / 1000.0,
		"attempts": _attempts,
		"retried": _retried,
		"studio_folder": studio.folder_row.absolute_path(),
		"saved": _saved,
		"save_errors": _save_errors,
		"sources": _sources,
		"sequence_folder": studio.sequence_folder,
		"sequence_frames": studio.sequence_frames,
		"studio_message": studio.message,
		"driver_error": _driver_error,
		"finished": finished,
	}


func _start_export() -> void:
	var section: ExportRunSection = view.run_section
	var run: String = _run if not _run.is_empty() else section.selected_run()
	if not section.select_run(run):
		_stop("--export-run names no run of the list: %s." % run)
		return
	if not _items.is_empty():
		section.set_items(_items)
	if not _to.is_empty():
		section.folder_row.set_folder(_to)
	if _chunk > 0:
		section.fetcher.chunk_size = _chunk
	_waiting = true
	_started_ms = Time.get_ticks_msec()
	section.start_export()


func _on_export_finished(ok: bool) -> void:
	_ended_ms = Time.get_ticks_msec()
	var fetcher: ExportFetcher = view.run_section.fetcher
	(
		_attempts
		. append(
			{
				"state": ExportFetcher.State.keys()[fetcher.state],
				"error": fetcher.error,
				"message": view.run_section.message,
				"done": Array(fetcher.done),
				"parts": _part_files(fetcher.folder),
			}
		)
	)
	if not ok and _retry and not _retried and not fetcher.folder.is_empty():
		_failed_s = 0.0
		return
	_waiting = false
	_stage = 2


## The live run has trained a little, and a decode is on show.
func _settled() -> bool:
	return StudioSession.run_latent_frames >= SETTLE_FRAMES and StudioSession.decoded_images >= 1


func _next_save() -> void:
	if _saves.is_empty():
		_stage = 4 if _sequence_count > 0 else 5
		if _stage == 5:
			finished = true
		return
	var kind: String = _saves[0]
	var studio: ExportStudioSection = view.studio_section
	_waiting = true
	match kind:
		"latent":
			var frame: StudioLatentFrame = StudioSession.latent
			_sources["latent"] = {"size": _size(view.latent_view.size), "points": frame.count}
			studio.save_latent_view()
		"decoded":
			var image: Image = view.inspector.shown_image()
			_sources["decoded"] = {
				"size": _size(Vector2(image.get_size())) if image != null else []
			}
			studio.save_decoded()
		"strip":
			_prepare_strip()
		"grid":
			studio.save_grid()
		"points":
			_sources["points"] = {"points": StudioSession.latent.count}
			studio.save_points()
		_:
			_waiting = false
			_saves.remove_at(0)
			_driver_error = "unknown --studio-save kind '%s'" % kind


## Pins the z on show and a moved copy and decodes the path between them, then saves it.
func _prepare_strip() -> void:
	if not interpolation.images.is_empty():
		_save_strip(true)
		return
	var z: PackedFloat32Array = StudioSession.current_z.duplicate()
	StudioSession.pins.clear()
	StudioSession.pins.add(z)
	for d in z.size():
		z[d] += 1.5
	StudioSession.pins.add(z)
	interpolation.path_decoded.connect(_save_strip, CONNECT_ONE_SHOT)
	interpolation.set_endpoints(0, 1)


func _save_strip(_ok: bool) -> void:
	var images: Array[Image] = interpolation.images
	var first: Image = images[0] if not images.is_empty() else null
	_sources["strip"] = {
		"count": images.size(), "size": _size(Vector2(first.get_size())) if first != null else []
	}
	view.studio_section.save_strip()


func _on_saved(kind: String, path: String, ok: bool) -> void:
	if kind == "sequence" or _saves.is_empty() or kind != _saves[0]:
		return
	if kind == "grid" and view.grid.mosaic != null:
		_sources["grid"] = {
			"size": _size(Vector2(view.grid.mosaic.get_size())), "n": view.grid.mosaic_n
		}
	if ok:
		_saved[kind] = path
	else:
		_save_errors[kind] = view.studio_section.error
	_saves.remove_at(0)
	_waiting = false


## Every .part file under `folder` (recursively), relative to it.
static func _part_files(folder: String) -> Array[String]:
	var found: Array[String] = []
	var todo: Array[String] = [""]
	while not todo.is_empty():
		var sub: String = todo.pop_back()
		var dir := DirAccess.open(folder + sub)
		if dir == null:
			continue
		for name in dir.get_files():
			if name.ends_with(".part"):
				found.append(sub + name)
		for name in dir.get_directories():
			todo.append(sub + name + "/")
	return found


static func _size(size: Vector2) -> Array[int]:
	return [roundi(size.x), roundi(size.y)]


func _stop(why: String) -> void:
	_driver_error = why
	finished = true

class_name ExportStudioSection
extends PanelContainer
## "From the Studio": saves what the Studio shows into a folder of this machine: the latent
## view as PNG (drawn again at the view's size, pan and zoom, so it works from this tab), the
## decoded image of the inspector, the interpolation strip and the grid mosaic (scaled up by
## nearest), the points of the latest latent frame as CSV, and a PNG sequence of the latent
## space over training (one picture every N latent frames, numbered, with frames.csv giving
## each one's step). Each save says the file it wrote or why it could not.

## A save ended: `path` written, or `ok` false and [member error] says why.
signal saved(kind: String, path: String, ok: bool)

## Longer side of the saved decoded image, interpolation tiles and grid mosaic, in pixels.
const DECODED_SIDE: int = 256
const STRIP_TILE: int = 96
const GRID_SIDE: int = 512
## The latent picture's size when the latent view has never been laid out (smaller than
## MIN_VIEW_SIZE: it has only its minimum size).
const FALLBACK_SIZE := Vector2i(800, 600)
const MIN_VIEW_SIZE := Vector2i(400, 300)
const MAX_EVERY: int = 1000

## The panels whose pictures are saved (set by [ExportView]).
var latent_view: LatentView
var inspector: InspectorPanel
var interpolation: InterpolationPanel
var grid: GridPanel
## kind -> the path of its last save.
var written: Dictionary = {}
## The sentence shown, and the last failure ("" after a success).
var message: String = ""
var error: String = ""
## The PNG sequence: its folder ("" when none was recorded), frames saved, and whether it runs.
var sequence_folder: String = ""
var sequence_frames: int = 0
var recording: bool = false

var _every: int = 5
var _frames_seen: int = 0
var _steps: PackedStringArray = []
var _grid_waiting: bool = false

@onready var folder_row: ExportFolderRow = $Rows/Grid/FolderRow
@onready var _latent_button: Button = $Rows/Buttons/LatentButton
@onready var _decoded_button: Button = $Rows/Buttons/DecodedButton
@onready var _strip_button: Button = $Rows/Buttons/StripButton
@onready var _grid_button: Button = $Rows/Buttons/GridButton
@onready var _points_button: Button = $Rows/Buttons/PointsButton
@onready var _every_spin: SpinBox = $Rows/Sequence/EverySpin
@onready var _record_button: Button = $Rows/Sequence/RecordButton
@onready var _stop_button: Button = $Rows/Sequence/StopButton
@onready var _sequence_text: Label = $Rows/Sequence/Count
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_latent_button.pressed.connect(save_latent_view)
	_decoded_button.pressed.connect(save_decoded)
	_strip_button.pressed.connect(save_strip)
	_grid_button.pressed.connect(save_grid)
	_points_button.pressed.connect(save_points)
	_every_spin.max_value = MAX_EVERY
	_every_spin.value = _every
	_record_button.pressed.connect(func() -> void: start_sequence(roundi(_every_spin.value)))
	_stop_button.pressed.connect(stop_sequence)
	folder_row.open_failed.connect(func(why: String) -> void: _show(why, true))
	StudioSession.run_changed.connect(_on_run_changed)
	StudioSession.latent_received.connect(_on_latent_received)
	_on_run_changed(str(StudioSession.status.get("run", "")))
	_update_sequence()
	_show("Each button saves what the Studio shows now into the folder above.", false)


## Saves the latent plane as it is on show (its pan, zoom and colours) as a PNG.
func save_latent_view() -> String:
	if StudioSession.latent == null:
		return _failed("latent", "No latent frame yet: wait for the latent stream.")
	return _save_png("latent", _latent_picture(), "latent_view")


## Saves the inspector's decoded image, scaled up by nearest so its pixels stay crisp.
func save_decoded() -> String:
	var image: Image = inspector.shown_image() if inspector != null else null
	if image == null:
		return _failed("decoded", "No decoded image yet: press on the latent plane to decode one.")
	return _save_png("decoded", ExportPictures.scaled(image, DECODED_SIDE), "decoded")


## Saves the Interpolate tab's filmstrip as one picture, its frames left to right.
func save_strip() -> String:
	var images: Array[Image] = interpolation.images if interpolation != null else []
	if images.is_empty():
		return _failed(
			"strip", "No interpolation yet: decode a path in the Interpolate tab, then save again."
		)
	return _save_png("strip", ExportPictures.strip(images, STRIP_TILE), "interpolation")


## Saves the Grid tab's mosaic; without one yet, decodes the grid first and saves it then.
func save_grid() -> String:
	if grid == null:
		return _failed("grid", "The grid is not part of this Studio.")
	if grid.mosaic == null:
		if not _grid_waiting:
			_grid_waiting = true
			grid.mosaic_shown.connect(_on_grid_shown, CONNECT_ONE_SHOT)
			grid.refresh()
		_show("Decoding the grid first…", false)
		return ""
	return _save_png("grid", ExportPictures.scaled(grid.mosaic, GRID_SIDE), "grid")


## Saves the points of the latest latent frame as CSV (with whether each is inside the view).
func save_points() -> String:
	var frame: StudioLatentFrame = StudioSession.latent
	if frame == null:
		return _failed("points", "No latent frame yet: wait for the latent stream.")
	var path: String = _file_path("points", "csv")
	var problem: String = ExportPictures.save_text(
		ExportPictures.points_csv(frame, _view_rect()), path
	)
	if not problem.is_empty():
		return _failed("points", "Could not save the points: %s." % problem)
	return _succeeded("points", path, "%d points" % frame.count)


## Saves one latent picture every `every` latent frames from now on, into a new numbered folder.
func start_sequence(every: int) -> String:
	stop_sequence()
	_every = clampi(every, 1, MAX_EVERY)
	var stamp: String = Time.get_datetime_string_from_system().replace(":", "").replace("-", "")
	sequence_folder = folder_row.absolute_path() + "latent_sequence_%s/" % stamp.replace("T", "-")
	var made: Error = DirAccess.make_dir_recursive_absolute(sequence_folder)
	if made != OK:
		var why: String = "cannot create %s (%s)" % [sequence_folder, error_string(made)]
		sequence_folder = ""
		return _failed("sequence", "Could not start the sequence: %s." % why)
	recording = true
	sequence_frames = 0
	_frames_seen = 0
	_steps = ["frame,step,file"]
	_update_sequence()
	_show(
		"Recording one picture every %d latent frame(s) into %s" % [_every, sequence_folder], false
	)
	return sequence_folder


## Stops the sequence; frames.csv lists each picture's step.
func stop_sequence() -> void:
	if not recording:
		return
	recording = false
	var problem: String = ExportPictures.save_text(
		"\n".join(_steps) + "\n", sequence_folder + "frames.csv"
	)
	_update_sequence()
	if not problem.is_empty():
		_failed("sequence", "Could not write frames.csv: %s." % problem)
		return
	written["sequence"] = sequence_folder
	_show("Saved %d frame(s) into %s" % [sequence_frames, sequence_folder], false)
	saved.emit("sequence", sequence_folder, true)


func _on_latent_received(frame: StudioLatentFrame) -> void:
	if not recording:
		return
	_frames_seen += 1
	if (_frames_seen - 1) % _every != 0:
		return
	var name: String = "frame_%05d.png" % (sequence_frames + 1)
	var problem: String = ExportPictures.save_png(_latent_picture(), sequence_folder + name)
	if not problem.is_empty():
		recording = false
		_update_sequence()
		_failed("sequence", "The sequence stopped: %s." % problem)
		return
	sequence_frames += 1
	_steps.append("%d,%d,%s" % [sequence_frames, frame.step, name])
	_update_sequence()


func _on_grid_shown(ok: bool) -> void:
	_grid_waiting = false
	if ok:
		save_grid()
	else:
		_failed("grid", "The grid could not be decoded: %s" % grid.error)


## The latent plane as the view shows it: at the view's size (FALLBACK_SIZE while it was never
## laid out, e.g. when the Studio opened on this tab), fitted to the data as the view's own fit
## does, or at the user's pan and zoom once they moved it.
func _latent_picture() -> Image:
	var frame: StudioLatentFrame = StudioSession.latent
	var view_size := Vector2i(latent_view.size) if latent_view != null else Vector2i.ZERO
	var laid_out: bool = view_size.x >= MIN_VIEW_SIZE.x and view_size.y >= MIN_VIEW_SIZE.y
	var size: Vector2i = view_size if laid_out else FALLBACK_SIZE
	if laid_out and not latent_view.auto_fit:
		return ExportPictures.latent_image(
			frame,
			size,
			latent_view.view_center,
			latent_view.pixels_per_unit,
			latent_view.tick_step(),
			latent_view.point_size
		)
	var bounds: Rect2 = frame.bounds() if frame != null else Rect2(-1, -1, 2, 2)
	var extent := Vector2(maxf(bounds.size.x, 1e-3), maxf(bounds.size.y, 1e-3)) * 1.12
	var ppu: float = minf(size.x / extent.x, size.y / extent.y)
	var step: float = ExportPictures.tick_step(ppu)
	return ExportPictures.latent_image(frame, size, bounds.get_center(), ppu, step)


## The part of the plane the latent view shows (axes units); empty before it is laid out.
func _view_rect() -> Rect2:
	if latent_view == null or latent_view.size.x < MIN_VIEW_SIZE.x:
		return Rect2()
	var lo: Vector2 = latent_view.to_latent(Vector2(0.0, latent_view.size.y))
	var hi: Vector2 = latent_view.to_latent(Vector2(latent_view.size.x, 0.0))
	return Rect2(lo, hi - lo)


## <folder>/<stem>_step<step>.<ext>, the step of the newest frame (or status).
func _file_path(stem: String, ext: String) -> String:
	var step: int = int(StudioSession.status.get("step", 0))
	if StudioSession.latent != null:
		step = StudioSession.latent.step
	return folder_row.absolute_path() + "%s_step%d.%s" % [stem, step, ext]


func _save_png(kind: String, image: Image, stem: String) -> String:
	var path: String = _file_path(stem, "png")
	var problem: String = ExportPictures.save_png(image, path)
	if not problem.is_empty():
		return _failed(kind, "Could not save the picture: %s." % problem)
	return _succeeded(kind, path, "%d×%d" % [image.get_width(), image.get_height()])


func _succeeded(kind: String, path: String, what: String) -> String:
	written[kind] = path
	error = ""
	_show("Wrote %s (%s)." % [path, what], false)
	saved.emit(kind, path, true)
	return path


func _failed(kind: String, why: String) -> String:
	error = why
	_show(why, true)
	saved.emit(kind, "", false)
	return ""


## The default folder: user://exports/<live run>/studio/ (user://exports/studio/ before a run).
func _on_run_changed(run: String) -> void:
	if run.is_empty():
		folder_row.set_default(ExportPlan.EXPORTS_ROOT + "/studio/")
	else:
		folder_row.set_default(ExportPlan.default_folder(run) + "studio/")


func _update_sequence() -> void:
	_record_button.disabled = recording
	_stop_button.disabled = not recording
	_every_spin.editable = not recording
	if recording:
		_sequence_text.text = "recording · %d saved" % sequence_frames
	elif not sequence_folder.is_empty():
		_sequence_text.text = "%d saved" % sequence_frames
	else:
		_sequence_text.text = ""


func _show(text: String, failed: bool) -> void:
	message = text
	_message.text = text
	_message.tooltip_text = text
	var color: Color = StudioPalette.ERROR if failed else StudioPalette.TEXT_DIM
	if not failed and text.begins_with("Wrote"):
		color = StudioPalette.OK
	_message.add_theme_color_override("font_color", color)

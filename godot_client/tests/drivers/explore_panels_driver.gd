extends Node
## Operates the z, Pins and Interpolate tabs through their public methods, as their sliders,
## buttons and menus do (added by studio_driver.gd when `--tab=z|pins|interpolate`):
##   -- --tab=z [--slide=DIM,VALUE]          DIM a dimension, or "top" (the most active)
##   -- --tab=pins [--pin-count=N] [--pins-new-run=WIDTH]
##   -- --tab=interpolate [--interp-steps=N] [--interp-mode=linear|slerp]
## z: once a decode is on show, moves DIM's slider to VALUE and waits for that z's decode. Pins:
## pins N distinct z (the z on show with one of the most active dimensions moved), then counts
## the pins' re-decodes over WINDOW_S seconds while the backend trains; with --pins-new-run it
## then starts a new run of latent width WIDTH (a `run.new`, as the Runs panel or another client
## sends it) and waits for the pins' decodes under the new model. Interpolate: pins two
## such z, decodes the path between them and plays it. [method report] says what was shown.

## Latent frames of the live run to wait for first, so the model has trained a little.
const SETTLE_FRAMES: int = 3
## Training steps to wait for first: before them the decoder barely uses z, so an interpolation
## or pins decode to near-identical images (on a loaded machine the first frames come early).
const SETTLE_STEPS: int = 400
const WINDOW_S: float = 3.0
## How far a pinned z is moved along its dimension from the z on show.
const PIN_SHIFT: float = 2.0

var sliders: ZSlidersPanel
var pins_panel: PinsPanel
var interpolation: InterpolationPanel
## The pins and path drawn over the latent view.
var overlay: LatentOverlay
var tab: String = ""
## -1: the most active dimension.
var slide_dim: int = -1
var slide_value: float = 1.5
var pin_count: int = 3
## The latent width of a run started after the pins are made (0: none).
var pins_new_run: int = 0
var interp_steps: int = 10
var interp_spherical: bool = false
## True once everything asked for is on screen.
var finished: bool = false

var _stage: int = 0
var _before := {}
var _after := {}
var _image_hash: int = 0
var _pin_base := PackedFloat32Array()
var _pin_z := PackedFloat32Array()
## The dimensions the pins move, by KL when the first was pinned: training reorders them, and an
## order read again for each pin could move one dimension twice and make two pins the same.
var _pin_order := PackedInt32Array()
var _window_s: float = 0.0
var _redecodes_before: int = 0
var _frames_before: int = 0
var _window_frames: int = 0
var _run_before: String = ""
var _pins_before_run: Array = []
var _images_before_run: Array = []
var _redecodes_at_run: int = 0
var _run_error: String = ""


func configure(options: Dictionary) -> void:
	tab = str(options.get("tab", "")).to_lower()
	var slide: PackedStringArray = str(options.get("slide", "")).split(",")
	if slide.size() == 2 and slide[1].is_valid_float():
		slide_dim = slide[0].to_int() if slide[0].is_valid_int() else -1
		slide_value = slide[1].to_float()
	var count: String = str(options.get("pin-count", ""))
	if count.is_valid_int():
		pin_count = count.to_int()
	var width: String = str(options.get("pins-new-run", ""))
	if width.is_valid_int():
		pins_new_run = width.to_int()
	var steps: String = str(options.get("interp-steps", ""))
	if steps.is_valid_int():
		interp_steps = steps.to_int()
	interp_spherical = str(options.get("interp-mode", "")) == "slerp"


func _ready() -> void:
	StudioSession.decode_finished.connect(_on_decode_finished)


func _process(delta: float) -> void:
	var width: int = StudioSession.latent_dim()
	if finished or StudioSession.run_latent_frames < SETTLE_FRAMES or width == 0:
		return
	if _stage == 0 and int(StudioSession.status.get("step", 0)) < SETTLE_STEPS:
		return
	if tab == "pins" and _stage == 3:
		# The new run's own decode may not be in yet: the pins are what is watched.
		finished = _pins_redecoded_under_new_run()
		return
	if StudioSession.decoded_z.size() != width:
		return
	match tab:
		"z":
			_drive_sliders()
		"pins":
			if _stage == 0:
				_stage = 1 if _pin(pin_count) else 0
			elif _stage == 1:
				_count_redecodes(delta)
			elif _stage == 2:
				_start_new_run()
		"interpolate":
			if _stage == 0:
				_stage = 1 if _pin(2) else 0
			else:
				_drive_interpolation()
		_:
			finished = true


func _drive_sliders() -> void:
	match _stage:
		0:
			if sliders.slider_count() == 0:
				return
			if slide_dim < 0:
				slide_dim = sliders.order[0]
			_before = {"z": StudioSession.decoded_z, "image": _image_hash}
			sliders.set_dim(slide_dim, slide_value)
			_stage = 1
		1:
			var z: PackedFloat32Array = StudioSession.decoded_z
			if slide_dim < z.size() and is_equal_approx(z[slide_dim], slide_value):
				_after = {"z": z, "image": _image_hash}
				finished = true


## Pins `count` distinct z, one each decode; true once they are all pinned.
func _pin(count: int) -> bool:
	var pins: StudioPins = StudioSession.pins
	if pins.size() >= count:
		return true
	if _pin_base.is_empty():
		_pin_base = StudioSession.decoded_z.duplicate()
		_pin_order = ZSlidersPanel.kl_order(StudioSession.latent.kl_per_dim)
	if not _pin_z.is_empty() and StudioSession.decoded_z == _pin_z:
		pins_panel.pin_current()
		_pin_z = PackedFloat32Array()
		return pins.size() >= count
	if _pin_z.is_empty():
		_pin_z = _pin_base.duplicate()
		_pin_z[_pin_order[pins.size() % _pin_order.size()]] += PIN_SHIFT
		StudioSession.request_decode(_pin_z)
	return false


func _count_redecodes(delta: float) -> void:
	if _window_s == 0.0:
		if pins_panel.redecodes == 0 or pins_panel.pin_images.size() != pin_count:
			return
		_redecodes_before = pins_panel.redecodes
		_frames_before = StudioSession.run_latent_frames
	_window_s += delta
	_window_frames = StudioSession.run_latent_frames - _frames_before
	if _window_s >= WINDOW_S:
		_stage = 2
		finished = pins_new_run <= 0


## Starts a run of another latent width, as the Runs panel's New run does.
func _start_new_run() -> void:
	_run_before = str(StudioSession.status.get("run", ""))
	_pins_before_run = StudioSession.pins.items.map(
		func(z: PackedFloat32Array) -> Array: return Array(z)
	)
	_images_before_run = _pin_hashes()
	var args: Dictionary = {"model": {"name": "vae", "latent_dim": pins_new_run}}
	StudioSession.send("run.new", args, _on_new_run_reply)
	_stage = 4


func _on_new_run_reply(request: VaeStudioRequest) -> void:
	if not request.is_ok():
		_run_error = StudioSession.describe_failure(request)
		finished = true
		return
	_redecodes_at_run = pins_panel.redecodes
	_stage = 3


## True once the pins have the new width and were decoded again under the new run's model.
func _pins_redecoded_under_new_run() -> bool:
	var run: String = str(StudioSession.status.get("run", ""))
	var pins: StudioPins = StudioSession.pins
	return (
		run != _run_before
		and StudioSession.latent_dim() == pins_new_run
		and pins.size() == pin_count
		and pins.items[0].size() == pins_new_run
		and pins_panel.redecodes > _redecodes_at_run
		and pins_panel.pin_images.size() == pin_count
		and StudioSession.run_latent_frames >= SETTLE_FRAMES
	)


func _pin_hashes() -> Array:
	return pins_panel.pin_images.map(
		func(i: Image) -> int: return hash(i.get_data()) if i != null else 0
	)


func _drive_interpolation() -> void:
	match _stage:
		1:
			interpolation.set_steps(interp_steps)
			interpolation.set_spherical(interp_spherical)
			interpolation.set_endpoints(0, 1)
			_stage = 2
		2:
			if interpolation.busy or interpolation.images.size() != interp_steps:
				return
			var path: Array[PackedFloat32Array] = interpolation.path
			if path.is_empty() or path[0] != StudioSession.pins.items[0]:
				return
			interpolation.play()
			_stage = 3
		3:
			finished = not interpolation.playing and interpolation.frames_played > 0


func _on_decode_finished(_z: PackedFloat32Array, image: Image) -> void:
	_image_hash = hash(image.get_data()) if image != null else 0


## What the driven panel showed, for the screenshot report.
func report() -> Dictionary:
	var out: Dictionary = {"finished": finished, "tab": tab}
	var frame: StudioLatentFrame = StudioSession.latent
	out["frame_kl"] = Array(frame.kl_per_dim) if frame != null else []
	match tab:
		"z":
			out.merge(_sliders_report())
		"pins":
			out.merge(_pins_report())
		"interpolate":
			out.merge(_interpolation_report())
	return out


func _sliders_report() -> Dictionary:
	var dimmed: Array[int] = []
	for d in sliders.slider_count():
		if sliders.is_dimmed(d):
			dimmed.append(d)
	return {
		"slider_count": sliders.slider_count(),
		"order": Array(sliders.order),
		"order_kl": Array(sliders.order_kl),
		"dimmed": dimmed,
		"half_ranges": Array(sliders.half_ranges),
		"slider_values": Array(sliders.slider_values()),
		"slide_dim": slide_dim,
		"slide_value": slide_value,
		"z_before": Array(_before.get("z", PackedFloat32Array())),
		"z_after": Array(_after.get("z", PackedFloat32Array())),
		"image_before": _before.get("image", 0),
		"image_after": _after.get("image", 0),
		"sliders_rect": ReportValues.rect_of(sliders),
	}


func _pins_report() -> Dictionary:
	var hashes: Array = _pin_hashes()
	return {
		"run_before": _run_before,
		"run_after": str(StudioSession.status.get("run", "")),
		"run_error": _run_error,
		"pins_before_run": _pins_before_run,
		"pin_images_before_run": _images_before_run,
		"pin_image_hashes": hashes,
		"pins_note": StudioSession.pins.note,
		"pins": StudioSession.pins.items.map(func(z: PackedFloat32Array) -> Array: return Array(z)),
		"pin_images": pins_panel.pin_images.size(),
		"pin_images_distinct": ReportValues.distinct(hashes),
		"pins_error": pins_panel.error,
		"rows_sent": _rows_sent(pins_panel.last_args).size(),
		"redecodes_in_window": pins_panel.redecodes - _redecodes_before,
		"frames_in_window": _window_frames,
		"window_s": WINDOW_S,
		"pins_rect": ReportValues.rect_of(pins_panel),
		"overlay_pins_drawn": overlay.pins_drawn,
	}


func _interpolation_report() -> Dictionary:
	var hashes: Array = interpolation.images.map(
		func(i: Image) -> int: return hash(i.get_data()) if i != null else 0
	)
	var path: Array[PackedFloat32Array] = interpolation.path
	return {
		"pins": StudioSession.pins.items.map(func(z: PackedFloat32Array) -> Array: return Array(z)),
		"rows": _rows_sent(interpolation.last_args),
		"spherical": interpolation.spherical,
		"frames_shown": interpolation.images.size(),
		"frames_distinct": ReportValues.distinct(hashes),
		"frames_played": interpolation.frames_played,
		"play_index": interpolation.play_index,
		"decoded_is_last": not path.is_empty() and StudioSession.decoded_z == path[-1],
		"session_path": StudioSession.path.size(),
		"interp_error": interpolation.error,
		"interp_rect": ReportValues.rect_of(interpolation),
		"overlay_pins_drawn": overlay.pins_drawn,
		"overlay_path_points": overlay.path_points_drawn,
		"filmstrip_rects":
		interpolation.filmstrip_tiles().map(
			func(tile: Control) -> Array[int]: return ReportValues.rect_of(tile)
		),
	}


## The z rows of a `decode` request's args, as arrays.
static func _rows_sent(args: Dictionary) -> Array:
	var z: Variant = args.get("z")
	if not z is Dictionary:
		return []
	var shape: Array = (z as Dictionary)["shape"]
	var flat: PackedFloat32Array = ((z as Dictionary)["data"] as PackedByteArray).to_float32_array()
	var width: int = int(shape[1])
	var rows: Array = []
	for r in int(shape[0]):
		rows.append(Array(flat.slice(r * width, (r + 1) * width)))
	return rows

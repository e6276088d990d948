extends Node
## Saves one screenshot of the Studio and quits, for the picture tests and the docs (added by
## studio_driver.gd):
##   -- --screenshot=PATH [--screenshot-frames=N] [--screenshot-after=S] [--screenshot-timeout=S]
## It waits for N latent frames (default 3), one decode (an image, or values for vector data), at
## least S seconds and every callable in [member conditions] (the other drivers' "done"), then
## writes PATH (PNG) and PATH
## with a .json extension holding what was on screen, and quits with 0; on timeout it writes
## both anyway and quits with 3.

const EXIT_TIMED_OUT: int = 3

var path: String = ""
var min_latent_frames: int = 3
var min_seconds: float = 0.0
var timeout_s: float = 60.0
## The view whose drawn point count and rectangle go into the report.
var latent_view: LatentView
## The control showing the decoded image; its rectangle goes into the report.
var image_view: Control
## More to wait for: each returns true once its part is on screen.
var conditions: Array[Callable] = []
## More for the report: name -> callable returning what goes under that name.
var report_parts: Dictionary = {}

var _elapsed: float = 0.0
var _saving: bool = false
var _timed_out: bool = false
## Frames still to draw before reading the picture back, so the last decode and latent upload
## are on screen.
var _frames_left: int = 2


func configure(options: Dictionary) -> void:
	path = str(options.get("screenshot", ""))
	min_latent_frames = int(options.get("screenshot-frames", min_latent_frames))
	min_seconds = float(options.get("screenshot-after", min_seconds))
	timeout_s = float(options.get("screenshot-timeout", timeout_s))


func _process(delta: float) -> void:
	if path.is_empty():
		return
	if _saving:
		_frames_left -= 1
		if _frames_left == 0:
			RenderingServer.frame_post_draw.connect(_save, CONNECT_ONE_SHOT)
		return
	_elapsed += delta
	var ready_to_save: bool = (
		StudioSession.latent_frames >= min_latent_frames
		and StudioSession.decoded_images + StudioSession.decoded_vectors >= 1
		and _elapsed >= min_seconds
	)
	for condition: Callable in conditions:
		ready_to_save = ready_to_save and condition.call()
	if ready_to_save or _elapsed >= timeout_s:
		_saving = true
		_timed_out = not ready_to_save
		# The Studio draws only when something changed (low-processor mode): draw on, so the
		# frames counted down above are drawn even when nothing moves.
		OS.low_processor_usage_mode = false


func _save() -> void:
	var image: Image = get_viewport().get_texture().get_image()
	var error: Error = image.save_png(path)
	var report: Dictionary = {
		"png_saved": error == OK,
		"timed_out": _timed_out,
		"elapsed_s": snappedf(_elapsed, 0.01),
		"width": image.get_width(),
		"height": image.get_height(),
		"connected": StudioSession.connected,
		"control": StudioSession.control_endpoint(),
		"stream": StudioSession.stream_endpoint(),
		"connection_problem": StudioSession.connection_problem(),
		"refused": StudioSession.client.is_refused(),
		"points_drawn": latent_view.points_drawn if latent_view != null else 0,
		"latent_frames": StudioSession.latent_frames,
		"metrics_frames": StudioSession.metrics_frames,
		"decoded_images": StudioSession.decoded_images,
		"decoded_vectors": StudioSession.decoded_vectors,
		"decoded_z_length": StudioSession.decoded_z.size(),
		"image_visible": StudioSession.decoded_images > 0,
		"latent_dim": StudioSession.latent_dim(),
		"latent_rect": ReportValues.rect_of(latent_view),
		"image_rect": ReportValues.rect_of(image_view),
		"step": int(StudioSession.metrics.get("step", -1)),
		"decode_latency_ms": StudioSession.decode_latency_ms,
		"run": str(StudioSession.status.get("run", "")),
		"model": StudioSession.model_info().get("name", ""),
		"conditional": StudioSession.is_conditional(),
		"num_classes": StudioSession.num_classes(),
		"decoded_label": StudioSession.decoded_label,
		"run_latent_frames": StudioSession.run_latent_frames,
		"run_decoded_images": StudioSession.run_decoded_images,
		"server_ops": Array(StudioSession.server_ops),
		"log_events":
		StudioSession.log_entries.map(
			func(entry: Dictionary) -> String: return str(entry.get("event", ""))
		),
	}
	for part: String in report_parts:
		report[part] = (report_parts[part] as Callable).call()
	var json := FileAccess.open(path.get_basename() + ".json", FileAccess.WRITE)
	if json != null:
		json.store_string(JSON.stringify(report, "  "))
		json.close()
	if error != OK:
		push_error("Could not save the screenshot to %s: %s" % [path, error_string(error)])
	print("screenshot: %s %s" % [path, JSON.stringify(report)])
	get_tree().quit(EXIT_TIMED_OUT if _timed_out or error != OK else 0)

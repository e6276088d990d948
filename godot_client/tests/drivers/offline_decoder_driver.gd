extends Node
## Runs the offline decoder example (res://examples/offline_decoder.tscn, its child here) for
## tests and screenshots, and quits:
##   -- [--decoder=PATH] [--report=PATH] [--screenshot=PATH] [--frames=N]
## After N frames (default 5) it writes the report: JSON with what the example shows (the
## decoder's path and sizes, its problem sentence, tiles and how many carry an image, the ms per
## image, whether Re-roll changed the first image), presses Re-roll for that check, then saves the
## screenshot (PNG; needs a renderer, not --headless) of the first roll.

var _frames_left: int = 5
var _report_path: String = ""
var _screenshot_path: String = ""

@onready var _example: Control = $Example


func _ready() -> void:
	for arg: String in OS.get_cmdline_user_args():
		var value: String = arg.get_slice("=", 1)
		if arg.begins_with("--report="):
			_report_path = value
		elif arg.begins_with("--screenshot="):
			_screenshot_path = value
		elif arg.begins_with("--frames="):
			_frames_left = maxi(1, value.to_int())


func _process(_delta: float) -> void:
	_frames_left -= 1
	if _frames_left == 0 and _screenshot_path.is_empty():
		_finish()  # headless: nothing is drawn, so frame_post_draw never comes
	elif _frames_left == 0:
		# The project draws only when something changed (low-processor mode), and a still example
		# changes nothing: draw on, or the frame to capture never comes.
		OS.low_processor_usage_mode = false
		RenderingServer.frame_post_draw.connect(_finish, CONNECT_ONE_SHOT)


func _finish() -> void:
	var code: int = 0
	if not _screenshot_path.is_empty():
		var shot: Image = get_viewport().get_texture().get_image()
		code = 0 if shot != null and shot.save_png(_screenshot_path) == OK else 1
	if not _report_path.is_empty():
		var out := FileAccess.open(_report_path, FileAccess.WRITE)
		out.store_string(JSON.stringify(_report()))
		out.close()
	get_tree().quit(code)


func _report() -> Dictionary:
	var tiles: Array[TextureRect] = []
	for child: Node in _example.get_node("%Grid").find_children("*", "TextureRect", true, false):
		tiles.append(child)
	var textured: int = tiles.filter(func(t: TextureRect) -> bool: return t.texture != null).size()
	var decoder: VaeStudioDecoder = _example.decoder
	var report: Dictionary = {
		"decoder_path": _example.decoder_path,
		"problem": _example.problem,
		"message_visible": _example.get_node("%Message").visible,
		"tiles": tiles.size(),
		"textured": textured,
		"images_shown": _example.images_shown,
		"ms_per_image": _example.ms_per_image,
		"info": _example.get_node("%Info").text,
	}
	if decoder != null and textured > 0:
		report["latent_dim"] = decoder.latent_dim
		report["num_classes"] = decoder.num_classes
		report["tile_image_size"] = [tiles[0].texture.get_width(), tiles[0].texture.get_height()]
		var before: PackedByteArray = tiles[0].texture.get_image().get_data()
		_example.reroll()
		report["reroll_changed"] = tiles[0].texture.get_image().get_data() != before
	return report

extends Control
## Example: a decoder trained in VAE Studio, generating images inside Godot with no backend and
## no Python (VaeStudioDecoder, addons/vaestudio/vae_studio_decoder.gd).
##
## Get a decoder file from a trained run:
##   vaestudio export RUN --items godot    # writes <runs folder>/RUN/godot/decoder.safetensors
## (or the Studio's Export tab, item "godot"), then either copy it to user://decoder.safetensors
## or name it when starting this scene:
##   godot --path godot_client res://examples/offline_decoder.tscn -- --decoder=/path/to/file
## The grid shows decodes of random z ~ N(0, T^2 I); a conditional model (cvae) draws one row per
## class, each column one z, so a column is one style written as every class.

## Where the decoder is looked for, in order, when no --decoder=PATH is given.
const DEFAULT_PATHS: PackedStringArray = [
	"user://decoder.safetensors", "res://examples/decoder.safetensors"
]
const COLUMNS: int = 10
## Rows of samples for an unconditional decoder (a conditional one gets one row per class).
const ROWS: int = 6
const MAX_CLASS_ROWS: int = 10
const CAPTION_WIDTH: float = 18.0
const COLUMN_HINT: String = "  ·  each column is one z drawn as every class"

## The decoder in use (null when none could be loaded).
var decoder: VaeStudioDecoder
## The file it came from, or the paths tried.
var decoder_path: String = ""
## Why no decoder is shown ("" when one is).
var problem: String = ""
## Milliseconds per decoded image in the last roll.
var ms_per_image: float = 0.0
## Images on screen after the last roll.
var images_shown: int = 0

var _rng: RandomNumberGenerator = RandomNumberGenerator.new()
var _tiles: Array[TextureRect] = []

@onready var _info: Label = %Info
@onready var _timing: Label = %Timing
@onready var _grid: GridContainer = %Grid
@onready var _frame: PanelContainer = %Frame
@onready var _message: Label = %Message
@onready var _temperature: HSlider = %Temperature
@onready var _temperature_value: Label = %TemperatureValue
@onready var _reroll: Button = %Reroll


func _ready() -> void:
	_rng.seed = 1
	_reroll.pressed.connect(reroll)
	_temperature.value_changed.connect(_on_temperature_changed)
	_frame.resized.connect(_fit_tiles)
	var path: String = ""
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--decoder="):
			path = arg.trim_prefix("--decoder=")
	_load(path)


## New random z's for every column, decoded.
func reroll() -> void:
	_rng.randomize()
	_draw_grid()


func _load(path: String) -> void:
	var candidates: PackedStringArray = [path] if not path.is_empty() else DEFAULT_PATHS
	for candidate: String in candidates:
		decoder = VaeStudioDecoder.load_from(candidate)
		decoder_path = candidate
		if decoder != null or FileAccess.file_exists(candidate):
			break
	if decoder == null:
		problem = VaeStudioDecoder.last_error
		if path.is_empty() and not FileAccess.file_exists(decoder_path):
			problem = (
				(
					"No decoder file at %s.\n\nExport one from a trained run:\n"
					+ "    vaestudio export RUN --items godot\nthen copy RUN/godot/decoder.safetensors "
					+ "there, or start this scene with -- --decoder=PATH."
				)
				% " or ".join(DEFAULT_PATHS)
			)
	elif not decoder.is_image():
		problem = (
			"%s draws %d-value vectors, not images: this example shows images."
			% [decoder_path, decoder.output_dim]
		)
	_message.text = problem
	_message.visible = not problem.is_empty()
	_grid.visible = problem.is_empty()
	_reroll.disabled = not problem.is_empty()
	if problem.is_empty():
		_info.text = _describe()
		_build_tiles()
		_draw_grid()


func _describe() -> String:
	var shape: PackedInt32Array = decoder.image_shape
	var parts: PackedStringArray = [
		decoder.model_name,
		"%d×%d%s images" % [shape[1], shape[0], "" if shape[2] == 1 else " ×%d" % shape[2]],
		"z: %d dims" % decoder.latent_dim,
	]
	if decoder.is_conditional():
		parts.append("%d classes (a row each)" % decoder.num_classes)
	if decoder.codebook_size > 0:
		parts.append("%d codes (z snaps to the nearest)" % decoder.codebook_size)
	parts.append(decoder_path.get_file())
	return "  ·  ".join(parts)


func _rows() -> int:
	return mini(decoder.num_classes, MAX_CLASS_ROWS) if decoder.is_conditional() else ROWS


func _build_tiles() -> void:
	var labelled: bool = decoder.is_conditional()
	_grid.columns = COLUMNS + (1 if labelled else 0)
	for row: int in _rows():
		if labelled:
			var caption := Label.new()
			caption.text = str(row)
			caption.theme_type_variation = &"DimLabel"
			caption.vertical_alignment = VERTICAL_ALIGNMENT_CENTER
			caption.custom_minimum_size = Vector2(CAPTION_WIDTH, 0)
			_grid.add_child(caption)
		for column: int in COLUMNS:
			var frame := PanelContainer.new()
			frame.theme_type_variation = &"ImageFrame"
			var tile := TextureRect.new()
			tile.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
			tile.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
			tile.texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
			frame.add_child(tile)
			_grid.add_child(frame)
			_tiles.append(tile)
	_fit_tiles()


## Square tiles as large as the frame allows.
func _fit_tiles() -> void:
	if _tiles.is_empty():
		return
	var gap: float = _grid.get_theme_constant("h_separation")
	var room: Vector2 = _frame.size - Vector2(24, 24)
	if decoder.is_conditional():
		room.x -= CAPTION_WIDTH + gap
	var side: float = minf(
		(room.x - gap * (COLUMNS - 1)) / COLUMNS, (room.y - gap * (_rows() - 1)) / _rows()
	)
	for tile: TextureRect in _tiles:
		(tile.get_parent() as Control).custom_minimum_size = Vector2.ONE * floorf(maxf(side, 16.0))


## Decodes a z per column (conditional: that z as each row's class; else a new z per tile).
func _draw_grid() -> void:
	var temperature: float = _temperature.value
	var columns: Array[PackedFloat32Array] = []
	for column: int in COLUMNS:
		columns.append(decoder.random_z(_rng, temperature))
	var started: int = Time.get_ticks_usec()
	images_shown = 0
	for i: int in _tiles.size():
		var row: int = i / COLUMNS
		var z: PackedFloat32Array = columns[i % COLUMNS]
		if not decoder.is_conditional():
			z = decoder.random_z(_rng, temperature)
		var picture: Image = decoder.image(z, row if decoder.is_conditional() else -1)
		if picture != null:
			_tiles[i].texture = ImageTexture.create_from_image(picture)
			images_shown += 1
	ms_per_image = (Time.get_ticks_usec() - started) / 1000.0 / maxi(_tiles.size(), 1)
	_timing.text = (
		"%d images decoded in GDScript, %.2f ms each (with the texture upload)%s"
		% [images_shown, ms_per_image, COLUMN_HINT if decoder.is_conditional() else ""]
	)


func _on_temperature_changed(value: float) -> void:
	_temperature_value.text = "%.2f" % value
	if decoder != null and problem.is_empty():
		_draw_grid()

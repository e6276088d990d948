class_name StudioLayout
extends VBoxContainer
## The main screen's layout (main.tscn's Layout: the status bar over the main area and the side
## column), sized to the window whenever it changes. The window keeps at least MIN_WINDOW; on a
## large window or a dense screen everything is drawn larger (the window's content scale), so a
## 4K screen shows what a 1920 × 1080 one does, only sharper. Then the side column takes a share
## of the width between a least and a most, the decoded image grows with the column and the
## window's height (the loss chart takes what is left, down to its least height), and the
## readouts go on one row when the column is wide. The rules are static functions, so unit tests
## check them at any size.

## The smallest window the layout fits, in pixels.
const MIN_WINDOW := Vector2i(1024, 600)
## The layout's size at the content scale 1: a larger window or screen scales up towards it.
const BASE_WINDOW := Vector2(1920.0, 1080.0)
const MAX_SCALE: float = 3.0
## Scales are multiples of this (a window dragged larger does not rescale at every pixel).
const SCALE_STEP: float = 0.25

## The side column's share of the window's width, and its narrowest and widest.
const SIDE_SHARE: float = 0.34
const SIDE_MIN: float = 360.0
const SIDE_MAX: float = 720.0
## The decoded image's frame: a share of the side column's width, as far as the window's height
## leaves room for it (the rows under it keep HEIGHT_KEPT pixels), between a least and a most.
const IMAGE_SHARE: float = 0.42
const HEIGHT_KEPT: float = 430.0
const HEIGHT_SHARE: float = 0.75
const IMAGE_MIN: float = 112.0
const IMAGE_MAX: float = 320.0
## From this side-column width the six readouts fit on one row.
const READOUTS_ONE_ROW_FROM: float = 560.0

@onready var _side: Control = $Body/Side
@onready var _inspector: InspectorPanel = %InspectorPanel
@onready var _readouts: GridContainer = $Body/Side/Tabs/Training/RunReadouts/Grid


func _ready() -> void:
	var window: Window = get_window()
	window.min_size = MIN_WINDOW
	window.size_changed.connect(_on_window_resized)
	_on_window_resized()


## A new window size: the content scale first (which resizes the layout again), then the panels.
func _on_window_resized() -> void:
	var window: Window = get_window()
	var screen: Vector2i = DisplayServer.screen_get_size(window.current_screen)
	var scale: float = content_scale(window.size, screen)
	if not is_equal_approx(window.content_scale_factor, scale):
		window.content_scale_factor = scale
	fit()


## Sizes the panels to the window (its size in the layout's own units, after the content scale).
func fit() -> void:
	var window: Vector2 = get_viewport_rect().size
	var side: float = side_width(window.x)
	_side.custom_minimum_size.x = side
	_inspector.set_frame_size(image_size(side, window.y))
	_readouts.columns = readout_columns(side)


## The content scale of a window `window` pixels large on a screen `screen` pixels large
## (Vector2i.ZERO when unknown): as large as the window or the screen is against BASE_WINDOW, but
## never so large that the layout gets smaller than MIN_WINDOW; at least 1.
static func content_scale(window: Vector2i, screen: Vector2i) -> float:
	var size := Vector2(window)
	var by_window: float = minf(size.x / BASE_WINDOW.x, size.y / BASE_WINDOW.y)
	var by_screen: float = minf(screen.x / BASE_WINDOW.x, screen.y / BASE_WINDOW.y)
	var room: float = minf(size.x / MIN_WINDOW.x, size.y / MIN_WINDOW.y)
	var scale: float = minf(maxf(by_window, by_screen), minf(room, MAX_SCALE))
	return maxf(1.0, floorf(scale / SCALE_STEP + 1e-6) * SCALE_STEP)


## The side column's width in a window `width` wide.
static func side_width(width: float) -> float:
	return clampf(roundf(width * SIDE_SHARE), SIDE_MIN, SIDE_MAX)


## The decoded image frame's side in a side column `side` wide, in a window `height` high.
static func image_size(side: float, height: float) -> float:
	var wanted: float = minf(side * IMAGE_SHARE, (height - HEIGHT_KEPT) * HEIGHT_SHARE)
	return clampf(roundf(wanted), IMAGE_MIN, IMAGE_MAX)


## Readout columns in a side column `side` wide: all six on one row, or two rows of three.
static func readout_columns(side: float) -> int:
	return 6 if side >= READOUTS_ONE_ROW_FROM else 3

class_name StudioPalette
extends RefCounted
## Colours shared by the Studio's components: one per class label (any number of classes), plus
## the chrome.

const LABELS: Array[Color] = [
	Color("#4e9bf0"),
	Color("#ff9a3c"),
	Color("#52c46b"),
	Color("#f05a5e"),
	Color("#b07ff0"),
	Color("#c9895f"),
	Color("#f27fcf"),
	Color("#a0a8b4"),
	Color("#d8d449"),
	Color("#3fd0e0"),
]
const UNLABELLED := Color("#9fb3c8")
## Texels of the point shader's palette: one per class, the last one for "unlabelled" (and for
## classes past it, which no data set of ours reaches).
const PALETTE_SIZE: int = 1024
## Hue step between generated class colours: the golden ratio spreads any number of hues apart.
const GOLDEN: float = 0.618034
const BACKGROUND := Color("#12151b")
const PANEL := Color("#1a1f27")
const GRID := Color(1.0, 1.0, 1.0, 0.06)
const GRID_AXIS := Color(1.0, 1.0, 1.0, 0.28)
const TEXT := Color("#d7dde6")
const TEXT_DIM := Color("#8792a2")
const ACCENT := Color("#ffd23f")
const OK := Color("#4cd07d")
const WARN := Color("#ffb347")
const ERROR := Color("#ff6b6b")
const RECON := Color("#4e9bf0")
const KL := Color("#ff9a3c")


## Colour of a label: the ten hand-picked ones first, then hues a golden-ratio step apart (in
## three bands of saturation and value, so neighbours differ in more than hue); absent (-1) or
## past the palette gets the neutral colour.
static func label_color(label: int) -> Color:
	if label < 0 or label >= PALETTE_SIZE - 1:
		return UNLABELLED
	if label < LABELS.size():
		return LABELS[label]
	var k: int = label - LABELS.size()
	var band: int = k % 3
	return Color.from_hsv(fposmod(0.11 + k * GOLDEN, 1.0), 0.5 + 0.15 * band, 0.95 - 0.1 * band)


## A PALETTE_SIZE × 1 texture for the point shader: texel i is the colour of label i, the last
## texel "unlabelled".
static func make_texture() -> ImageTexture:
	var image := Image.create(PALETTE_SIZE, 1, false, Image.FORMAT_RGBA8)
	for i in PALETTE_SIZE:
		image.set_pixel(i, 0, label_color(i if i < PALETTE_SIZE - 1 else -1))
	return ImageTexture.create_from_image(image)


## The continuous ramp for points coloured by a value (loss, a latent dimension), low to high:
## a viridis-like dark blue through teal to yellow, readable on the dark background.
static func make_ramp_texture() -> GradientTexture1D:
	var gradient := Gradient.new()
	gradient.offsets = PackedFloat32Array([0.0, 0.33, 0.66, 1.0])
	gradient.colors = PackedColorArray(
		[Color("#5b4ea8"), Color("#2f8fb0"), Color("#3fc47f"), Color("#f5e13b")]
	)
	var texture := GradientTexture1D.new()
	texture.gradient = gradient
	texture.width = 256
	return texture

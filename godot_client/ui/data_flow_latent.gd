class_name DataFlowLatent
extends RefCounted
## Draws the latent column of the data-flow view onto a control: the reparameterisation as
## aligned rows of bars, one bar per dimension on one shared scale so the sum reads off the
## picture — μ with ±σ whiskers, ε ~ N(0, I), σ·ε, and z = μ + σ·ε — then the KL of each
## dimension, and below them the variant's own part (iwae's k samples and their weights, the
## vq-vae's code, the VampPrior's pseudo-inputs). More dimensions than fit are shown a window at
## a time from `offset`.

const FONT_SIZE: int = 10
## Left margin for the row names, and the smallest bar slot per dimension.
const NAME_WIDTH: float = 42.0
const MIN_DIM_PX: float = 4.0
const MAX_BAR_PX: float = 26.0
const ROW_GAP: float = 6.0
const MU := Color("#4e9bf0")
const SIGMA := Color("#9fb3c8")
const NOISE := Color("#b07ff0")
const Z := Color("#ffd23f")
const KL := Color("#ff9a3c")
## The largest number of iwae samples drawn as rows.
const MAX_IW_ROWS: int = 8


## How many dimensions fit across `width` pixels of bars.
static func dims_that_fit(width: float) -> int:
	return maxi(floori((width - NAME_WIDTH) / MIN_DIM_PX), 1)


## Draws the column into `rect`; returns what it drew: `dims` (the dimensions shown, in order),
## `rows` (name → the values drawn for those dims), `scale`, and the variant parts drawn.
static func draw(
	canvas: Control,
	rect: Rect2,
	trace: DataFlowTrace,
	offset: int,
	pseudo: Array[Texture2D],
) -> Dictionary:
	var font: Font = canvas.get_theme_default_font()
	var width: int = trace.latent_dim()
	var count: int = mini(width, dims_that_fit(rect.size.x))
	offset = clampi(offset, 0, maxi(width - count, 0))
	var dims := PackedInt32Array(range(offset, offset + count))
	var sigma: PackedFloat32Array = trace.sigma()
	var noise: PackedFloat32Array = trace.sigma_eps()
	var scale: float = 1.0
	for d in dims:
		scale = maxf(scale, maxf(absf(trace.mu[d]) + sigma[d], absf(trace.z[d])))
		scale = maxf(scale, maxf(absf(trace.eps[d]), absf(noise[d])))
	var extra_h: float = _variant_height(trace, rect.size.y)
	var row_h: float = (rect.size.y - extra_h - 4.0 * ROW_GAP) / 5.0
	var rows: Dictionary = {
		"mu": _pick(trace.mu, dims),
		"sigma": _pick(sigma, dims),
		"eps": _pick(trace.eps, dims),
		"sigma_eps": _pick(noise, dims),
		"z": _pick(trace.z, dims),
		"kl": _pick(trace.kl_per_dim, dims),
	}
	var y: float = rect.position.y
	var specs: Array = [
		["μ ± σ", rows["mu"], MU, rows["sigma"]],
		["ε", rows["eps"], NOISE, null],
		["+ σ·ε", rows["sigma_eps"], NOISE.lerp(SIGMA, 0.4), null],
		["= z", rows["z"], Z, rows["mu"]],
	]
	for spec: Array in specs:
		var row := Rect2(rect.position.x, y, rect.size.x, row_h)
		_draw_row(canvas, font, row, spec, scale)
		y += row_h + ROW_GAP
	var kl_row := Rect2(rect.position.x, y, rect.size.x, row_h)
	_draw_kl_row(canvas, font, kl_row, rows["kl"], dims if extra_h == 0.0 else PackedInt32Array())
	y += row_h + ROW_GAP
	var drawn: Dictionary = {"dims": Array(dims), "rows": rows, "scale": scale}
	drawn.merge(
		_draw_variant(canvas, font, Rect2(rect.position.x, y, rect.size.x, extra_h), trace, pseudo)
	)
	if count < width:
		var caption: String = "z%d–z%d of %d · wheel scrolls" % [dims[0], dims[-1], width]
		_text(canvas, font, Vector2(rect.position.x + NAME_WIDTH, rect.end.y + 12.0), caption)
	return drawn


static func _pick(values: PackedFloat32Array, dims: PackedInt32Array) -> Array[float]:
	var out: Array[float] = []
	for d in dims:
		out.append(values[d] if d < values.size() else 0.0)
	return out


## The bar slot of dimension i of n across `row` (after the name margin): x and bar width.
static func _slot(row: Rect2, i: int, n: int) -> Vector2:
	var span: float = row.size.x - NAME_WIDTH
	var slot: float = span / maxi(n, 1)
	var bar: float = clampf(slot * 0.7, 1.0, MAX_BAR_PX)
	return Vector2(row.position.x + NAME_WIDTH + slot * i + (slot - bar) * 0.5, bar)


## One row of signed bars round a zero line; `whiskers` (σ per dim, on μ) or, for z, the μ each
## bar started from (a tick shows where the noise moved it from).
static func _draw_row(canvas: Control, font: Font, row: Rect2, spec: Array, scale: float) -> void:
	var values: Array[float] = spec[1]
	var color: Color = spec[2]
	var mid: float = row.get_center().y
	var half: float = row.size.y * 0.5 - 1.0
	canvas.draw_rect(
		Rect2(row.position.x + NAME_WIDTH, row.position.y, row.size.x - NAME_WIDTH, row.size.y),
		StudioPalette.GRID
	)
	canvas.draw_line(
		Vector2(row.position.x + NAME_WIDTH, mid), Vector2(row.end.x, mid), StudioPalette.GRID_AXIS
	)
	_text(canvas, font, Vector2(row.position.x, mid + 4.0), str(spec[0]), color)
	for i in values.size():
		var slot: Vector2 = _slot(row, i, values.size())
		var top: float = mid - values[i] / scale * half
		canvas.draw_rect(Rect2(slot.x, minf(top, mid), slot.y, absf(top - mid)), color)
		if spec[3] == null:
			continue
		var other: Array[float] = spec[3]
		var cx: float = slot.x + slot.y * 0.5
		if str(spec[0]).begins_with("μ"):
			var lo: float = mid - (values[i] - other[i]) / scale * half
			var hi: float = mid - (values[i] + other[i]) / scale * half
			canvas.draw_line(Vector2(cx, lo), Vector2(cx, hi), SIGMA, 1.0)
			# Caps only where the bars are wide enough to keep them apart.
			var cap: float = minf(3.0, slot.y * 0.5 - 1.0)
			if cap >= 1.0:
				canvas.draw_line(Vector2(cx - cap, lo), Vector2(cx + cap, lo), SIGMA, 1.0)
				canvas.draw_line(Vector2(cx - cap, hi), Vector2(cx + cap, hi), SIGMA, 1.0)
		else:
			var at: float = mid - other[i] / scale * half
			canvas.draw_line(Vector2(slot.x - 1.0, at), Vector2(slot.x + slot.y + 1.0, at), MU, 2.0)


## KL of each dimension as bars up from the row's floor; `dims` (the dimensions shown) name them
## underneath when there is room below (no variant part).
static func _draw_kl_row(
	canvas: Control, font: Font, row: Rect2, values: Array[float], dims: PackedInt32Array
) -> void:
	var top: float = 1e-6
	for v in values:
		top = maxf(top, v)
	var base: float = row.end.y
	canvas.draw_rect(
		Rect2(row.position.x + NAME_WIDTH, row.position.y, row.size.x - NAME_WIDTH, row.size.y),
		StudioPalette.GRID
	)
	_text(canvas, font, Vector2(row.position.x, row.get_center().y + 4.0), "KL/dim", KL)
	for i in values.size():
		var slot: Vector2 = _slot(row, i, values.size())
		var h: float = maxf(values[i], 0.0) / top * (row.size.y - 2.0)
		canvas.draw_rect(Rect2(slot.x, base - h, slot.y, h), KL)
	_text(canvas, font, Vector2(row.position.x, row.get_center().y + 16.0), "≤ %.2f" % top)
	# The dimension under each bar, where the slots are wide enough to name them.
	var slot_w: float = (row.size.x - NAME_WIDTH) / maxi(values.size(), 1)
	if slot_w < 16.0 or dims.is_empty():
		return
	for i in values.size():
		var x: float = row.position.x + NAME_WIDTH + slot_w * i
		canvas.draw_string(
			font,
			Vector2(x, row.end.y + 11.0),
			"z%d" % dims[i],
			HORIZONTAL_ALIGNMENT_CENTER,
			slot_w,
			FONT_SIZE - 1,
			StudioPalette.TEXT_DIM
		)


## Room the variant's part needs below the rows (0 for a plain VAE).
static func _variant_height(trace: DataFlowTrace, total: float) -> float:
	if not trace.iw_z.is_empty():
		return minf(total * 0.3, 14.0 + 9.0 * mini(trace.iw_z.size(), MAX_IW_ROWS))
	if trace.code_index >= 0:
		return 34.0
	if not trace.pseudo_images.is_empty() or not trace.pseudo_values.is_empty():
		return minf(total * 0.3, 70.0)
	return 0.0


static func _draw_variant(
	canvas: Control, font: Font, area: Rect2, trace: DataFlowTrace, pseudo: Array[Texture2D]
) -> Dictionary:
	if area.size.y <= 0.0:
		return {}
	if not trace.iw_z.is_empty():
		return _draw_iw(canvas, font, area, trace)
	if trace.code_index >= 0:
		_text(
			canvas, font, area.position + Vector2(0, 11), "nearest code #%d" % trace.code_index, Z
		)
		var strip := Rect2(
			area.position.x + NAME_WIDTH, area.position.y + 16.0, area.size.x - NAME_WIDTH, 14.0
		)
		_heat_strip(canvas, strip, Array(trace.code))
		return {"code_index": trace.code_index}
	_text(canvas, font, area.position + Vector2(0, 11), "prior: pseudo-inputs", SIGMA)
	# One row of tiles up to 8, else two.
	var rows: int = 1 if pseudo.size() <= 8 else 2
	var per_row: int = maxi(ceili(pseudo.size() / float(rows)), 1)
	var side: float = minf(
		(area.size.y - 16.0) / rows - 2.0, (area.size.x - NAME_WIDTH) / per_row - 2.0
	)
	side = maxf(side, 4.0)
	for i in pseudo.size():
		var at := Vector2(
			area.position.x + NAME_WIDTH + (i % per_row) * (side + 2.0),
			area.position.y + 16.0 + (i / per_row) * (side + 2.0)
		)
		canvas.draw_texture_rect(pseudo[i], Rect2(at, Vector2(side, side)), false)
	return {"pseudo_tiles": pseudo.size()}


static func _draw_iw(canvas: Control, font: Font, area: Rect2, trace: DataFlowTrace) -> Dictionary:
	var shown: int = mini(trace.iw_z.size(), MAX_IW_ROWS)
	_text(
		canvas,
		font,
		area.position + Vector2(0, 11),
		"k = %d samples · weight" % trace.iw_z.size(),
		Z
	)
	var row_h: float = (area.size.y - 14.0) / maxi(shown, 1)
	for k in shown:
		var y: float = area.position.y + 14.0 + k * row_h
		var strip := Rect2(
			area.position.x + NAME_WIDTH, y, area.size.x - NAME_WIDTH - 40.0, row_h - 2.0
		)
		_heat_strip(canvas, strip, Array(trace.iw_z[k]))
		var w: float = trace.iw_weights[k]
		canvas.draw_rect(Rect2(strip.end.x + 4.0, y, 34.0 * w, row_h - 2.0), Z)
		_text(canvas, font, Vector2(area.position.x, y + row_h - 2.0), "z%d" % (k + 1), SIGMA)
	return {"iw_rows": shown}


## Values as coloured cells on one shared signed scale (blue below 0, yellow above).
static func _heat_strip(canvas: Control, strip: Rect2, values: Array) -> void:
	var reach: float = 1e-6
	for v: float in values:
		reach = maxf(reach, absf(v))
	var n: int = mini(values.size(), maxi(floori(strip.size.x / 2.0), 1))
	var cell: float = strip.size.x / maxi(n, 1)
	for i in n:
		var t: float = float(values[i]) / reach
		var color: Color = StudioPalette.PANEL.lerp(Z if t > 0.0 else MU, absf(t))
		canvas.draw_rect(
			Rect2(strip.position.x + i * cell, strip.position.y, cell, strip.size.y), color
		)


static func _text(
	canvas: Control, font: Font, at: Vector2, text: String, color: Color = StudioPalette.TEXT_DIM
) -> void:
	canvas.draw_string(font, at, text, HORIZONTAL_ALIGNMENT_LEFT, -1, FONT_SIZE, color)

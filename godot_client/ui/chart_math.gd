class_name ChartMath
extends RefCounted
## The numbers behind the Studio's charts: TensorBoard's smoothing, axis ranges, "nice" ticks
## (1-2-5 steps; decades on a log axis) and labels written to the precision they need, never
## colliding.


## TensorBoard's scalar smoothing: an exponential moving average with weight `weight` (0 = the
## raw values, 0.99 = very smooth), debiased so the first points are not pulled towards zero:
## last = w·last + (1 − w)·v; smoothed = last / (1 − wⁿ) after n values. A constant series or a
## non-finite value passes through unchanged.
static func ema(values: PackedFloat32Array, weight: float) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(values.size())
	var w: float = clampf(weight, 0.0, 0.999)
	var constant: bool = true
	for value in values:
		constant = constant and value == values[0]
	var last: float = 0.0
	var count: int = 0
	for i in values.size():
		var value: float = values[i]
		if constant or not is_finite(value):
			out[i] = value
			continue
		last = last * w + (1.0 - w) * value
		count += 1
		out[i] = last / (1.0 - pow(w, count))
	return out


## The index range [from, to) of the ascending `steps` inside [lo, hi], widened by one point
## each side so a zoomed line runs to the plot's edges.
static func visible_range(steps: PackedFloat64Array, lo: float, hi: float) -> Vector2i:
	var from: int = maxi(steps.bsearch(lo) - 1, 0)
	var to: int = mini(steps.bsearch(hi, false) + 1, steps.size())
	return Vector2i(from, to)


## Tick values for a linear axis over [lo, hi]: about `count` steps of 1, 2 or 5 × 10ᵏ.
static func linear_ticks(lo: float, hi: float, count: int = 5) -> PackedFloat64Array:
	var ticks := PackedFloat64Array()
	if not hi > lo:
		return ticks
	var raw: float = (hi - lo) / maxi(count, 1)
	var power: float = pow(10.0, floorf(log(raw) / log(10.0)))
	var unit: float = power
	for mult: float in [1.0, 2.0, 5.0, 10.0]:
		unit = mult * power
		if unit >= raw:
			break
	var tick: float = ceilf(lo / unit) * unit
	while tick <= hi + unit * 1e-6:
		ticks.append(tick)
		tick += unit
	return ticks


## Tick values for a log axis over [10^log_lo, 10^log_hi]: the powers of ten, plus 2 and 5 times
## them when fewer than four decades are shown.
static func log_ticks(log_lo: float, log_hi: float) -> PackedFloat64Array:
	var ticks := PackedFloat64Array()
	var mults: Array[float] = [1.0]
	if log_hi - log_lo < 4.0:
		mults.append_array([2.0, 5.0])
	for power in range(floori(log_lo), ceili(log_hi) + 1):
		for mult: float in mults:
			var v: float = log10(mult * pow(10.0, power))
			if v >= log_lo - 1e-6 and v <= log_hi + 1e-6:
				ticks.append(mult * pow(10.0, power))
	return ticks


## log₁₀ of `value`, exact at powers of ten (log(1e12) / log(10) alone gives 11.999999999999998).
static func log10(value: float) -> float:
	var v: float = log(value) / log(10.0)
	return roundf(v) if absf(v - roundf(v)) < 1e-9 else v


## The label of a tick on a linear axis whose ticks are `unit` apart: as many decimals as the
## unit needs, so neighbours never read the same (14.5 and 15 with unit 0.5, not 15 and 15).
static func tick_label(value: float, unit: float) -> String:
	if unit >= 1.0 or unit <= 0.0 or absf(value) >= 1e5:
		return short(value)
	var decimals: int = clampi(ceili(-log10(unit) - 1e-6), 0, 6)
	return String.num(value, decimals)


## "Nice" ticks for a linear axis over [lo, hi]: multiples of a step of 1, 2 or 5 × 10ᵏ, the
## finest step that gives at most `max_count` ticks. A flat range (lo == hi) is its one value.
static func nice_ticks(lo: float, hi: float, max_count: int) -> PackedFloat64Array:
	var ticks := PackedFloat64Array()
	if not (is_finite(lo) and is_finite(hi)) or hi < lo:
		return ticks
	if hi == lo:
		ticks.append(lo)
		return ticks
	var count: int = maxi(max_count, 2)
	var step: float = nice_step((hi - lo) / count)
	while floorf(hi / step) - ceilf(lo / step) + 1.0 > count:
		step = nice_step(step * 1.01)
	# i·step rather than a running sum, so 0.1 + 0.2 never shows as 0.30000000000000004.
	for i in range(int(ceilf(lo / step - 1e-9)), int(floorf(hi / step + 1e-9)) + 1):
		ticks.append(0.0 if i == 0 else snappedf(i * step, step * 1e-6))
	return ticks


## The smallest step of 1, 2 or 5 × 10ᵏ that is at least `raw`.
static func nice_step(raw: float) -> float:
	var power: float = pow(10.0, floorf(log10(raw)))
	for mult: float in [1.0, 2.0, 5.0]:
		if mult * power >= raw * (1.0 - 1e-9):
			return mult * power
	return 10.0 * power


## Ticks for a log axis over [lo, hi] (both > 0) with at most `max_count` of them: 1, 2 and 5
## times each power of ten when there is room, else the powers of ten alone, else every 2nd, 3rd,
## 5th … power. A range within one decade has linear ticks instead (3.3, 3.4, 3.5 for a flat KL).
static func log_axis_ticks(lo: float, hi: float, max_count: int) -> PackedFloat64Array:
	if not (lo > 0.0 and hi >= lo and is_finite(hi)):
		return PackedFloat64Array()
	var log_lo: float = log10(lo)
	var log_hi: float = log10(hi)
	if log_hi - log_lo < 1.0 - 1e-9:
		return nice_ticks(lo, hi, max_count)
	var count: int = maxi(max_count, 2)
	var ticks: PackedFloat64Array = _log_set(log_lo, log_hi, [1.0, 2.0, 5.0], 1)
	if ticks.size() <= count:
		return ticks
	for every: int in [1, 2, 3, 5, 10, 20, 50, 100]:
		var sparser: PackedFloat64Array = _log_set(log_lo, log_hi, [1.0], every)
		if sparser.is_empty():
			break
		ticks = sparser
		if ticks.size() <= count:
			break
	return ticks


## mults × 10ᵏ inside [10^log_lo, 10^log_hi], for every `every`-th power k.
static func _log_set(log_lo: float, log_hi: float, mults: Array, every: int) -> PackedFloat64Array:
	var ticks := PackedFloat64Array()
	var first: int = floori(log_lo)
	first -= posmod(first, every)
	for power in range(first, ceili(log_hi) + 1, every):
		for mult: float in mults:
			var value: float = mult * pow(10.0, power)
			var v: float = log10(value)
			if v >= log_lo - 1e-9 and v <= log_hi + 1e-9:
				ticks.append(value)
	return ticks


## The labels of ascending ticks. On a linear axis all take the decimals their step needs (14.5,
## 15.0, 15.5); on a log axis each is written as briefly as it is exact (0.002, 0.01, 20). Below
## 0.001 and from a million on, powers of ten (2e-6, 1.5e7); thousands in steps of a hundred or
## more as k (2.5k), finer ones in full (19575.6).
static func tick_texts(ticks: PackedFloat64Array, log_axis: bool) -> PackedStringArray:
	var texts := PackedStringArray()
	var step: float = INF
	for i in range(1, ticks.size()):
		step = minf(step, ticks[i] - ticks[i - 1])
	for value in ticks:
		if log_axis or step == INF:
			texts.append(tick_text(value, _own_step(value)))
		else:
			texts.append(tick_text(value, step))
	return texts


## The label of one tick whose neighbours are `step` away: just the decimals that step needs.
static func tick_text(value: float, step: float) -> String:
	var magnitude: float = absf(value)
	var decimals: int = clampi(ceili(-log10(step) - 1e-9), 0, 9)
	if magnitude < step * 1e-6 or magnitude == 0.0:
		return "0" if step < 1e-3 else "0".pad_decimals(decimals)
	step = maxf(step, magnitude * 1e-12)
	if magnitude < 1e-3 or magnitude >= 1e6:
		var power: int = floori(log10(magnitude))
		var digits: int = clampi(power - floori(log10(step)), 0, 9)
		var mantissa: float = value / pow(10.0, power)
		return "%se%d" % [_fixed(mantissa, digits), power]
	if magnitude >= 1e3 and step >= 100.0:
		return "%sk" % _fixed(value / 1e3, clampi(ceili(-log10(step / 1e3) - 1e-9), 0, 1))
	return _fixed(value, decimals)


## `value` with exactly `decimals` digits after the point ("2", "0.50").
static func _fixed(value: float, decimals: int) -> String:
	var text: String = String.num(value, decimals)
	return text if decimals == 0 else text.pad_decimals(decimals)


## The step at which `value` is exact: 0.01 for 0.05, 0.1 for 3.4, 1 for 20 (at most 6 digits).
static func _own_step(value: float) -> float:
	var magnitude: float = absf(value)
	if magnitude == 0.0:
		return 1.0
	var step: float = pow(10.0, floorf(log10(magnitude)))
	for i in 6:
		if absf(snappedf(value, step) - value) <= magnitude * 1e-9:
			return step
		step /= 10.0
	return step


## Which labels to draw so none collide: the indices of `positions` (pixels along the axis, in
## tick order) kept at least `gap` apart. Ticks whose `major` flag is set (the powers of ten of a
## log axis) are placed first; the others fill in where there is room.
static func spaced(
	positions: PackedFloat64Array, gap: float, major := PackedByteArray()
) -> PackedInt32Array:
	var kept: Array[int] = []
	for pass_major: bool in [true, false]:
		for i in positions.size():
			var is_major: bool = major.is_empty() or (i < major.size() and major[i] != 0)
			if is_major != pass_major:
				continue
			var free: bool = true
			for k in kept:
				free = free and absf(positions[k] - positions[i]) >= gap
			if free:
				kept.append(i)
	kept.sort()
	return PackedInt32Array(kept)


## Which ticks are powers of ten (1 = yes), for [method spaced] on a log axis.
static func decades(ticks: PackedFloat64Array) -> PackedByteArray:
	var flags := PackedByteArray()
	for value in ticks:
		var v: float = log10(value) if value > 0.0 else 0.5
		flags.append(1 if absf(v - roundf(v)) < 1e-6 else 0)
	return flags


## A short label for an axis value or a readout: 1.2k, 35, 0.25, 3.0e-04.
static func short(value: float) -> String:
	var magnitude: float = absf(value)
	if magnitude == 0.0:
		return "0"
	if magnitude >= 1e5 or magnitude < 1e-3:
		# GDScript's % has no %e: mantissa and power of ten by hand, e.g. 3.0e-04.
		var power: int = floori(log10(magnitude))
		var mantissa: float = value / pow(10.0, power)
		if absf(mantissa) >= 9.95:
			mantissa /= 10.0
			power += 1
		return "%.1fe%s%02d" % [mantissa, "-" if power < 0 else "+", absi(power)]
	if magnitude >= 1000.0:
		return "%.1fk" % (value / 1000.0)
	if magnitude >= 10.0:
		return str(roundi(value))
	if magnitude >= 1.0:
		return String.num(value, 2)
	return String.num(value, 3)

extends "res://tests/test_case.gd"
## The charts' axis ticks (ChartMath): "nice" values (1-2-5 steps on a linear axis, decades on a
## log axis with 2 and 5 between them when few decades show), labels as precise as they need to
## be and never the same twice, and labels that would collide dropped, at every range: a loss
## from 20 down to 0.001, 1e-6 to 1e-5, a flat series, negative values, huge values.


func test_a_loss_from_twenty_to_a_thousandth_has_decades_and_their_twos_and_fives() -> void:
	var ticks: PackedFloat64Array = ChartMath.log_axis_ticks(0.001, 20.0, 20)
	check_eq(
		_texts(ticks, true),
		[
			"0.001",
			"0.002",
			"0.005",
			"0.01",
			"0.02",
			"0.05",
			"0.1",
			"0.2",
			"0.5",
			"1",
			"2",
			"5",
			"10",
			"20"
		],
		"1-2-5 on a log axis of four decades"
	)
	var few: PackedFloat64Array = ChartMath.log_axis_ticks(0.001, 20.0, 6)
	check_eq(_texts(few, true), ["0.001", "0.01", "0.1", "1", "10"], "room for 6: the decades")
	var fewer: PackedFloat64Array = ChartMath.log_axis_ticks(0.001, 20.0, 3)
	check(fewer.size() <= 3 and fewer.size() >= 2, "room for 3: every other decade %s" % fewer)
	check_eq(Array(ChartMath.decades(fewer)), [1, 1], "and only decades: %s" % fewer)


func test_a_kl_falling_towards_zero_is_written_in_powers_of_ten_not_zeros() -> void:
	var ticks: PackedFloat64Array = ChartMath.log_axis_ticks(1e-7, 30.0, 6)
	var texts: PackedStringArray = ChartMath.tick_texts(ticks, true)
	check(ticks.size() <= 6 and ticks.size() >= 3, "at most 6 ticks over 8 decades: %s" % texts)
	check(not texts.has("0.0") and not texts.has("0"), "no tick reads as zero: %s" % texts)
	check_eq(_distinct(texts), texts.size(), "no two ticks read the same: %s" % texts)
	check(texts[0].contains("e-"), "the smallest in powers of ten: %s" % texts[0])


func test_one_decade_of_millionths() -> void:
	var ticks: PackedFloat64Array = ChartMath.log_axis_ticks(1e-6, 1e-5, 8)
	check_eq(_texts(ticks, true), ["1e-6", "2e-6", "5e-6", "1e-5"], "1-2-5 in powers of ten")
	var linear: PackedFloat64Array = ChartMath.nice_ticks(1e-6, 1e-5, 5)
	var texts: PackedStringArray = ChartMath.tick_texts(linear, false)
	check(linear.size() >= 3 and linear.size() <= 5, "linear: a few ticks %s" % texts)
	check_eq(_distinct(texts), texts.size(), "linear millionths all differ: %s" % texts)


func test_a_flat_series_gets_ticks_inside_its_padded_range() -> void:
	# The charts pad a flat series by 5 %: 3.4 becomes 3.23 … 3.57, under a tenth of a decade.
	var ticks: PackedFloat64Array = ChartMath.log_axis_ticks(3.23, 3.57, 5)
	check_eq(_texts(ticks, true), ["3.3", "3.4", "3.5"], "a log axis within a decade: linear")
	check_eq(_texts(ChartMath.nice_ticks(3.4, 3.4, 5), false), ["3.4"], "no range: the one value")
	var tiny: PackedFloat64Array = ChartMath.nice_ticks(2.0 - 1e-6, 2.0 + 1e-6, 5)
	var texts: PackedStringArray = ChartMath.tick_texts(tiny, false)
	check(tiny.size() >= 2, "a range of a millionth still has ticks: %s" % texts)
	check_eq(_distinct(texts), texts.size(), "and they read differently: %s" % texts)


func test_negative_values_on_a_linear_axis() -> void:
	var ticks: PackedFloat64Array = ChartMath.nice_ticks(-7.3, 2.1, 6)
	check_eq(_texts(ticks, false), ["-6", "-4", "-2", "0", "2"], "steps of 2 through zero")
	var fine: PackedFloat64Array = ChartMath.nice_ticks(-0.25, 0.05, 4)
	check_eq(_texts(fine, false), ["-0.2", "-0.1", "0.0"], "tenths, zero written alike")


func test_huge_values() -> void:
	var ticks: PackedFloat64Array = ChartMath.nice_ticks(1.2e6, 4.9e6, 5)
	check_eq(_texts(ticks, false), ["2e6", "3e6", "4e6"], "millions in powers of ten")
	var k: PackedFloat64Array = ChartMath.nice_ticks(0.0, 25000.0, 6)
	check_eq(_texts(k, false), ["0", "5k", "10k", "15k", "20k", "25k"], "thousands as k")
	var log_huge: PackedFloat64Array = ChartMath.log_axis_ticks(10.0, 1e12, 5)
	var texts: PackedStringArray = ChartMath.tick_texts(log_huge, true)
	check(log_huge.size() <= 5 and log_huge.size() >= 3, "11 decades in 5 ticks: %s" % texts)
	check_eq(texts[texts.size() - 1], "1e12", "a trillion as a power of ten")


func test_steps_never_pile_up_in_float_noise() -> void:
	var ticks: PackedFloat64Array = ChartMath.nice_ticks(0.0, 0.7, 8)
	check_eq(
		_texts(ticks, false), ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"], "tenths"
	)
	check_eq(ticks[3], 0.3, "0.3 is 0.3, not 0.30000000000000004")


func test_labels_that_would_collide_are_dropped_decades_first() -> void:
	# Pixel rows of 1, 2, 5, 10, 20, 50, 100 on a short axis: the decades win.
	var ticks: PackedFloat64Array = ChartMath.log_axis_ticks(1.0, 100.0, 20)
	var positions := PackedFloat64Array([100.0, 90.0, 78.0, 70.0, 60.0, 48.0, 40.0])
	var kept: PackedInt32Array = ChartMath.spaced(positions, 25.0, ChartMath.decades(ticks))
	check_eq(Array(kept), [0, 3, 6], "only 1, 10 and 100 fit 25 px apart")
	var roomy: PackedInt32Array = ChartMath.spaced(positions, 8.0, ChartMath.decades(ticks))
	check_eq(roomy.size(), 7, "with room every label stays")
	var linear: PackedInt32Array = ChartMath.spaced(PackedFloat64Array([0, 5, 10, 15, 20]), 9.0)
	check_eq(Array(linear), [0, 2, 4], "a linear axis keeps every other one")


## Ticks written as tick_texts writes them, as a plain Array for check_eq.
static func _texts(ticks: PackedFloat64Array, log_axis: bool) -> Array:
	return Array(ChartMath.tick_texts(ticks, log_axis))


static func _distinct(texts: PackedStringArray) -> int:
	var seen: Dictionary = {}
	for text in texts:
		seen[text] = true
	return seen.size()

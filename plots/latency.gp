# Latency percentiles and failed requests over time, with the controller's
# actions marked. Reads timeseries.csv and actions.csv; writes latency.png
# and latency.svg. Run after common.gp (see README.md).

ts_file = run.'/timeseries.csv'
act_file = run.'/actions.csv'
eval read_actions
stats ts_file using 'latency_p99_ms':'errors_per_s' nooutput
latency_max = STATS_max_x > 0 ? STATS_max_x * 1.15 : 1
errors_max = STATS_max_y > 0 ? STATS_max_y * 1.15 : 1

do for [fmt in formats] {
    eval use_terminal(fmt, 1200, 800)
    set output output_file('latency', fmt)
    set multiplot layout 2, 1 title 'Latency and failed requests'
    set key outside right top nobox
    set lmargin 10
    set rmargin 22

    set ylabel 'latency (ms)'
    set yrange [0:latency_max]
    eval mark_actions
    plot ts_file using 'time_s':'latency_p50_ms' with lines lt 1 title 'p50', \
         ts_file using 'time_s':'latency_p95_ms' with lines lt 2 title 'p95', \
         ts_file using 'time_s':'latency_p99_ms' with lines lt 4 title 'p99'

    set ylabel 'failed requests/s'
    set yrange [0:errors_max]
    unset label
    plot ts_file using 'time_s':'errors_per_s' with filledcurves y1=0 \
             fs solid 0.35 noborder lc rgb color_scale_in notitle, \
         ts_file using 'time_s':'errors_per_s' with lines lc rgb color_scale_in lw 1.5 title 'failed'

    unset multiplot
    set output
}

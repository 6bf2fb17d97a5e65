# Instance count over time with the requests to the provider still pending,
# and the controller's actions marked. Reads timeseries.csv and actions.csv;
# writes instances.png and instances.svg. Run after common.gp (see
# README.md).

ts_file = run.'/timeseries.csv'
act_file = run.'/actions.csv'
eval read_actions
stats ts_file using 'instances':'pending_provider_requests' nooutput
count_max = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) + 1

do for [fmt in formats] {
    eval use_terminal(fmt, 1200, 500)
    set output output_file('instances', fmt)
    set title 'Instances and pending provider requests'
    set key outside right top nobox
    set lmargin 10
    set rmargin 22
    set ylabel 'count'
    set yrange [0:count_max]
    set ytics 1
    eval mark_actions
    plot ts_file using 'time_s':'pending_provider_requests' with fillsteps fs transparent solid 0.3 noborder \
             lt 2 title 'pending at provider', \
         ts_file using 'time_s':'instances' with steps lt 1 lw 2.5 title 'instances'
    set output
}

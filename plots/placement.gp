# Tenant placement over time: which instance serves each of the heaviest
# tenants (one row each, one stripe per component, coloured by instance),
# and how many of the other tenants each instance serves.
# Reads the plot_placement_*.csv helper files that lbsim writes into the run
# folder (see README.md); writes placement.png and placement.svg.
# Run after common.gp.

info_file = run.'/plot_placement_info.csv'
rows_file = run.'/plot_placement_rows.csv'
segments_file = run.'/plot_placement_segments.csv'
other_file = run.'/plot_placement_other.csv'
stats info_file using (components = strcol('components'), \
    placement_instances = strcol('instances'), \
    top_tenants = int(column('top_tenants')), \
    other_tenants = int(column('other_tenants')), \
    tables = int(column('tables')), segments = int(column('segments')), \
    end_s = column('end_s'), 0) nooutput
n_instances = words(placement_instances)
rows = top_tenants > 0 ? top_tenants : 1

# The left margin fits the longest row label (tenant id and share), in
# character widths, plus room for the axis label.
label_chars = 10
if (top_tenants > 0) {
    stats rows_file using (strlen(strcol('label'))) nooutput
    label_chars = STATS_max > label_chars ? STATS_max : label_chars
}
left_margin = label_chars + 5

# The lower panel shows the other tenants once a routing table placed them.
show_other = other_tenants > 0 && tables > 0
other_max = 1
if (show_other) {
    stats other_file using 'tenants' nooutput
    other_max = STATS_max > 0 ? STATS_max * 1.15 : 1
}

# Pixel heights: 24 per tenant row, plus the title, axes and the lower panel.
other_panel_px = show_other ? 260 : 0
top_panel_px = 24 * rows + 140
top_panel_px = top_panel_px < 320 ? 320 : top_panel_px
height_px = top_panel_px + other_panel_px
other_fraction = real(other_panel_px) / height_px

do for [fmt in formats] {
    eval use_terminal(fmt, 1200, height_px)
    set output output_file('placement', fmt)
    shown = other_tenants > 0 ? sprintf('the %d heaviest tenants by requests', top_tenants) : sprintf('all %d tenants, heaviest on top', top_tenants)
    set multiplot title sprintf('Tenant placement: %s; one stripe per component, top to bottom: %s', shown, components)
    set lmargin left_margin
    set rmargin 22
    set key outside right top nobox title 'instance'
    set xrange [0:(end_s > 0 ? end_s : 1)]

    set origin 0, other_fraction
    set size 1, 1 - other_fraction
    set tmargin 3
    set yrange [0.5:rows + 0.5]
    set ytics 1 scale 0
    set grid noytics
    set ylabel 'tenant, share of requests'
    if (segments > 0) {
        plot rows_file using (0):'row':ytic(strcol('label')) with points ps 0 notitle, \
             segments_file \
                 using ((column('start_s') + column('end_s')) / 2):((column('y_low') + column('y_high')) / 2): \
                       ((column('end_s') - column('start_s')) / 2):((column('y_high') - column('y_low')) / 2): \
                       (column('instance')) \
                 with boxxyerror fs solid 1.0 border lc rgb 'white' lc variable notitle, \
             for [i = 1:n_instances] keyentry with boxes fs solid 1.0 lt i title word(placement_instances, i)
    } else {
        set label 1 (tables > 0 ? 'no route of these tenants in placement.csv' : 'placement.csv has no routing table') \
            at graph 0.5, graph 0.5 center
        if (top_tenants > 0) {
            plot rows_file using (0):'row':ytic(strcol('label')) with points ps 0 notitle
        } else {
            unset ytics
            plot NaN notitle
            set ytics
        }
        unset label 1
    }

    if (show_other) {
        set origin 0, 0
        set size 1, other_fraction
        set tmargin 2
        set yrange [0:other_max]
        unset key
        set ytics autofreq scale 1
        set grid ytics
        set ylabel 'tenants'
        set title sprintf('the other %d tenants: how many each instance serves', other_tenants)
        plot for [i = 1:n_instances] other_file \
                 using 'time_s':(column('instance') == i ? column('tenants') : NaN) \
                 with steps lt i notitle
        unset title
    }

    unset multiplot
    set output
}

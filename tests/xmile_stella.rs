//! What Stella writes, in hand-written XMILE: names as Stella spells and shows them, vendor
//! elements that say where Stella writes files, per-element graphical functions, conveyors
//! inside macros and spread inflows. Each runs a few steps against hand-computed values; two
//! real Stella models (tests/xmile/covid19_severity.stmx, and sir_social_distancing_mixnot.stmx
//! with its one `LOOKUPMEAN` call given as a number) run against hand-computed steps and their
//! own conservation of people.

/// A Stella-like file with these top-level extras and root variables, run from 0 to 3 with dt 1.
fn stella(extras: &str, variables: &str, rest: &str) -> String {
    format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\" \
         xmlns:isee=\"http://iseesystems.com/XMILE\">\
         <header><vendor>isee systems, inc.</vendor><product version=\"3.0\">Stella Architect</product></header>\
         <sim_specs method=\"Euler\" time_units=\"Months\"><start>0</start><stop>3</stop><dt>1</dt></sim_specs>\
         {extras}<model><variables>{variables}</variables></model>{rest}</xmile>"
    )
}

/// Reads (with no diagnostic at all), resolves and runs a file.
fn run(text: &str) -> fulcrum_sim::Results {
    let (model, diagnostics) = fulcrum_xmile::read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs")
}

fn series(results: &fulcrum_sim::Results, name: &str) -> Vec<f64> {
    results.series(name).unwrap_or_else(|| panic!("no series {name} in {:?}", results.names())).to_vec()
}

#[test]
fn names_with_line_breaks_quotes_and_leading_digits_are_read_and_referenced() {
    let variables = "<aux name=\"birth\\nrate\"><eqn>2</eqn></aux>\
        <aux name=\"2nd_stage\"><eqn>3</eqn></aux>\
        <aux name=\"the &quot;best&quot; guess\"><eqn>5</eqn></aux>\
        <aux name=\"total\"><eqn>birth_rate * 100 + \"2nd stage\" * 10 + \"the \\\"best\\\" guess\"</eqn></aux>\
        <aux name=\"again\"><eqn>\"birth\\nrate\" + \"2nd_stage\"</eqn></aux>";
    let results = run(&stella("", variables, ""));
    // 2 × 100 + 3 × 10 + 5; 2 + 3.
    assert_eq!(series(&results, "total"), [235.0; 4]);
    assert_eq!(series(&results, "again"), [5.0; 4]);
}

#[test]
fn output_columns_carry_the_names_stella_displays() {
    // Stella shows `_` and a written line break as spaces (XMILE 3.2.2), and so do the columns.
    let variables = "<aux name=\"birth\\nrate\"><eqn>2</eqn></aux><aux name=\"death_rate\"><eqn>1</eqn></aux>\
        <module name=\"Sub_Model\"/>";
    let rest = "<model name=\"Sub_Model\"><variables><aux name=\"inner_value\"><eqn>4</eqn></aux></variables></model>";
    let results = run(&stella("", variables, rest));
    let names: Vec<&str> = results.names().iter().map(String::as_str).collect();
    assert_eq!(names, ["birth rate", "death rate", "Sub Model.inner value"]);
}

#[test]
fn stellas_data_export_settings_are_ignored_without_a_word() {
    // Where Stella writes its runs is no part of the model: no diagnostic, the same results.
    let extras = "<data><export frequency=\"every_dt\" precomputed=\"false\" resource=\"r:results.xlsx\" \
        worksheet=\"Sheet1\" isee:format=\"numbers\"><all/></export></data>";
    let variables =
        "<stock name=\"level\"><eqn>1</eqn><inflow>filling</inflow></stock><flow name=\"filling\"><eqn>2</eqn></flow>";
    let with_export = run(&stella(extras, variables, ""));
    let without = run(&stella("", variables, ""));
    assert_eq!(series(&with_export, "level"), [1.0, 3.0, 5.0, 7.0]);
    assert_eq!(series(&with_export, "level"), series(&without, "level"));
}

#[test]
fn each_element_may_have_its_own_graphical_function() {
    // The equation is shared (TIME); North's table doubles it, South's is 10 less 3 × it.
    let extras = "<dimensions><dim name=\"Region\"><elem name=\"North\"/><elem name=\"South\"/></dim></dimensions>";
    let variables = "<aux name=\"effect\"><dimensions><dim name=\"Region\"/></dimensions><eqn>TIME</eqn>\
        <element subscript=\"North\"><gf><xscale min=\"0\" max=\"3\"/><ypts>0,2,4,6</ypts></gf></element>\
        <element subscript=\"South\"><gf><xpts>0,3</xpts><ypts>10,1</ypts></gf></element></aux>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "effect[North]"), [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(series(&results, "effect[South]"), [10.0, 7.0, 4.0, 1.0]);
}

#[test]
fn a_conveyor_inside_a_macro_runs_a_belt_per_call() {
    // LAG(x): x enters a belt of transit time 2 and what leaves is the macro's value.
    let rest = "<macro name=\"LAG\"><parm>x</parm><eqn>leaving</eqn><variables>\
        <stock name=\"belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
        <conveyor><len>2</len></conveyor></stock>\
        <flow name=\"entering\"><eqn>x</eqn></flow><flow name=\"leaving\"/></variables></macro>";
    let variables = "<aux name=\"small\"><eqn>LAG(TIME + 1)</eqn></aux><aux name=\"large\"><eqn>LAG(100)</eqn></aux>";
    let results = run(&stella("", variables, rest));
    // Inflows 1, 2, 3, 4 enter at times 0..3 and leave two steps later: 0, 0, 1, 2.
    assert_eq!(series(&results, "small"), [0.0, 0.0, 1.0, 2.0]);
    assert_eq!(series(&results, "large"), [0.0, 0.0, 100.0, 100.0]);
}

#[test]
fn a_macro_as_stella_writes_it_takes_defaults_for_left_out_parameters() {
    // Stella writes each parameter also as an input auxiliary of the macro (used when the macro
    // runs on its own) and the output as the variable's shown name, spaces and all. XMILE 3.6.1's
    // SMOOTH1, with `initial` defaulting to `input`: Smooth of Input starts at `initial` and
    // moves (input - Smooth of Input) / averaging time a step.
    let rest = "<macro name=\"SMOOTH1\"><eqn>Smooth of Input</eqn><parm>input</parm><parm>averaging_time</parm>\
        <parm default=\"input\">initial</parm><variables>\
        <aux name=\"input\" access=\"input\"><eqn>7</eqn></aux>\
        <aux name=\"averaging time\" access=\"input\"><eqn>3</eqn></aux>\
        <aux name=\"initial\" access=\"input\"><eqn>1</eqn></aux>\
        <stock name=\"Smooth of Input\"><eqn>initial</eqn><inflow>change</inflow></stock>\
        <flow name=\"change\"><eqn>(input - Smooth_of_Input) / averaging_time</eqn></flow></variables></macro>";
    let variables = "<aux name=\"level\"><eqn>SMOOTH1(10, 2)</eqn></aux>\
        <aux name=\"rising\"><eqn>SMOOTH1(10, 2, 0)</eqn></aux>\
        <aux name=\"lagging\"><eqn>SMOOTH1(TIME, 1)</eqn></aux>";
    let results = run(&stella("", variables, rest));
    // Starting at the input, 10 stays 10; from 0, half the gap to 10 closes each step.
    assert_eq!(series(&results, "level"), [10.0; 4]);
    assert_eq!(series(&results, "rising"), [0.0, 5.0, 7.5, 8.75]);
    // Starts at TIME at the start (0), then follows TIME a step behind: 0, 0, 1, 2.
    assert_eq!(series(&results, "lagging"), [0.0, 0.0, 1.0, 2.0]);

    // A call must still give every parameter without a default.
    let text = stella("", "<aux name=\"short\"><eqn>SMOOTH1(10)</eqn></aux>", rest);
    let (_, diagnostics) = fulcrum_xmile::read(&text).expect("reads");
    let found = diagnostics.0.iter().find(|d| d.code.as_str() == "E0104").expect("an arity error");
    assert!(found.message.contains("takes 2 to 3 arguments, but is given 1"), "{}", found.message);
    let span = found.span.expect("located");
    assert_eq!(&text[span.start as usize..span.end as usize], "<eqn>SMOOTH1(10)</eqn>");
}

#[test]
fn size_of_a_dimension_is_its_number_of_elements_in_any_equation() {
    // Stella writes Vensim's ELMCOUNT(DimA) as SIZE(DimA), also in an equation not arrayed.
    let extras =
        "<dimensions><dim name=\"DimA\"><elem name=\"A1\"/><elem name=\"A2\"/><elem name=\"A3\"/></dim></dimensions>";
    let variables = "<aux name=\"count\"><eqn>SIZE(DimA)</eqn></aux>\
        <aux name=\"share\"><dimensions><dim name=\"DimA\"/></dimensions><eqn>DimA / SIZE(DimA)</eqn></aux>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "count"), [3.0; 4]);
    assert_eq!(series(&results, "share[A2]"), [2.0 / 3.0; 4]);
}

#[test]
fn a_stock_takes_the_sum_of_a_flow_over_the_dimensions_it_does_not_have() {
    // Workers[HCWorker] lose infecting[Severity, HCWorker] summed over Severity, as Stella does.
    let extras = "<dimensions><dim name=\"Severity\"><elem name=\"Mild\"/><elem name=\"Severe\"/></dim>\
        <dim name=\"HCWorker\"><elem name=\"Doctors\"/><elem name=\"Nurses\"/></dim></dimensions>";
    let variables = "<stock name=\"Workers\"><dimensions><dim name=\"HCWorker\"/></dimensions>\
        <element subscript=\"Doctors\"><eqn>100</eqn></element><element subscript=\"Nurses\"><eqn>200</eqn></element>\
        <outflow>infecting</outflow></stock>\
        <flow name=\"infecting\"><dimensions><dim name=\"Severity\"/><dim name=\"HCWorker\"/></dimensions>\
        <eqn>Severity * HCWorker</eqn></flow>";
    let results = run(&stella(extras, variables, ""));
    // Doctors lose 1×1 + 2×1 = 3 a step, nurses 1×2 + 2×2 = 6.
    assert_eq!(series(&results, "Workers[Doctors]"), [100.0, 97.0, 94.0, 91.0]);
    assert_eq!(series(&results, "Workers[Nurses]"), [200.0, 194.0, 188.0, 182.0]);
}

#[test]
fn an_initial_equation_breaks_a_loop_of_initial_values_as_stella_writes_it() {
    // Stella's <init_eqn> on an auxiliary (its translation of Vensim's ACTIVE INITIAL): target
    // is 50 while the initial values are computed, so capacity starts at 50; then target is
    // twice capacity and capacity grows by half the gap a step: 50, 75, 112.5, 168.75.
    let variables = "<stock name=\"capacity\"><eqn>target</eqn><inflow>adjusting</inflow></stock>\
        <flow name=\"adjusting\"><eqn>(target - capacity) / 2</eqn></flow>\
        <aux name=\"target\"><eqn>capacity * 2</eqn><init_eqn>50</init_eqn></aux>";
    let results = run(&stella("", variables, ""));
    assert_eq!(series(&results, "capacity"), [50.0, 75.0, 112.5, 168.75]);
    assert_eq!(series(&results, "target"), [100.0, 150.0, 225.0, 337.5]);
}

#[test]
fn a_data_import_is_refused_where_it_is_written() {
    // Imported values would replace the model's own: fulcrum does not read them, and says so.
    let text = stella(
        "<data><import resource=\"r:inputs.csv\" frequency=\"on_demand\"/></data>",
        "<aux name=\"price\"><eqn>3</eqn></aux>",
        "",
    );
    let (_, diagnostics) = fulcrum_xmile::read(&text).expect("reads");
    let found = diagnostics.0.iter().find(|d| d.message.contains("imports data")).expect("refused");
    assert_eq!(found.code.as_str(), "E0501");
    let span = found.span.expect("located");
    assert_eq!(&text[span.start as usize..span.end as usize], "r:inputs.csv");
}

#[test]
fn stellas_financial_and_statistical_builtins_run_from_xmile() {
    // Closed forms: FV of 10 payments of 100 at 5% is 100 × (1.05^10 - 1) / 0.05; PV of the
    // same, that over 1.05^10; NORMALCDF(-1, 1) = 0.6826894921370859; INVNORM(0.975) =
    // 1.9599639845400536; Stella's NPV of 100 a period at 10% over the steps at 0, 1, 2 is
    // 100/1.1 + 100/1.21 + 100/1.331 by the end. GEOMETRIC with min 2 and max 2 can only draw 2.
    let variables = "<aux name=\"flow\"><eqn>100</eqn></aux>\
        <aux name=\"fv\"><eqn>FV(0.05, 10, -100)</eqn></aux>\
        <aux name=\"pv\"><eqn>PV(0.05, 10, -100)</eqn></aux>\
        <aux name=\"pmt\"><eqn>PMT(0, 4, 100)</eqn></aux>\
        <aux name=\"band\"><eqn>NORMALCDF(-1, 1)</eqn></aux>\
        <aux name=\"z\"><eqn>INVNORM(0.975)</eqn></aux>\
        <aux name=\"npv\"><eqn>NPV(flow, 0.1)</eqn></aux>\
        <aux name=\"two\"><eqn>GEOMETRIC(0.5, NAN, 2, 2)</eqn></aux>";
    let results = run(&stella("", variables, ""));
    let close = |got: f64, expected: f64| (got - expected).abs() <= 1e-12 * expected.abs();
    assert!(close(series(&results, "fv")[0], 1257.789253554884));
    assert!(close(series(&results, "pv")[0], 772.1734929184817));
    assert_eq!(series(&results, "pmt")[0], -25.0);
    assert!(close(series(&results, "band")[0], 0.6826894921370859));
    assert!(close(series(&results, "z")[0], 1.9599639845400536));
    assert!(close(series(&results, "npv")[2], 100.0 / 1.1 + 100.0 / 1.21 + 100.0 / 1.331));
    assert_eq!(series(&results, "two"), [2.0; 4]);
}

#[test]
fn stellas_builtins_fulcrum_does_not_compute_are_refused_where_they_are_called() {
    // The README lists these as not computed, each with its reason: E0501 at the call, never a
    // number and never an unknown name.
    for call in ["IRR(flow)", "CTMEAN(flow)", "THROUGHPUT(flow)", "ATTRMEAN(flow, 1)", "RUNCOUNT", "CLOCKTIME"] {
        let variables = format!("<aux name=\"flow\"><eqn>TIME</eqn></aux><aux name=\"x\"><eqn>{call}</eqn></aux>");
        let text = stella("", &variables, "");
        let (model, diagnostics) = fulcrum_xmile::read(&text).expect("reads");
        assert!(diagnostics.0.is_empty(), "{call}: {diagnostics:?}");
        let errors = fulcrum_model::resolve(&model).expect_err(call);
        let error = errors.0.first().unwrap_or_else(|| panic!("{call}: no error"));
        assert_eq!(error.code.as_str(), "E0501", "{call}: {error:?}");
        assert!(error.help.is_some(), "{call}: no hint");
        let span = error.span.unwrap_or_else(|| panic!("{call}: not located"));
        assert!(text[span.start as usize..span.end as usize].starts_with(&call[..2]), "{call}: {span:?}");
    }
}

#[test]
fn a_queue_boards_whole_batches_and_overflows_into_a_second_conveyor_and_converts_to_the_same_bits() {
    let variables = "<stock name=\"Line\"><eqn>4</eqn><inflow>walking_in</inflow><inflow>driving_in</inflow>\
        <outflow>boarding</outflow><outflow>side_boarding</outflow><queue/></stock>\
        <flow name=\"walking in\"><eqn>IF TIME &lt; 2 THEN 3 ELSE 0</eqn></flow>\
        <flow name=\"driving in\"><eqn>IF TIME &lt; 2 THEN 2 ELSE 0</eqn></flow>\
        <flow name=\"boarding\"/><flow name=\"side boarding\"><overflow/></flow>\
        <stock name=\"Belt\"><eqn>0</eqn><inflow>boarding</inflow><outflow>landing</outflow>\
        <conveyor batch_integrity=\"true\" one_at_a_time=\"false\"><len>2</len><in_limit>6</in_limit></conveyor></stock>\
        <flow name=\"landing\"/>\
        <stock name=\"Side belt\"><eqn>0</eqn><inflow>side_boarding</inflow><outflow>side_landing</outflow>\
        <conveyor><len>1</len><in_limit>1</in_limit></conveyor></stock><flow name=\"side landing\"/>";
    let text = stella("", variables, "");
    let results = run(&text);
    // t=0: the line holds [4]; 3 and 2 arrive. Whole batches up to 6: the 4 (4 + 3 is 7). The
    // belt took less than the 9 it was offered, so the overflow is offered the next batch, 3,
    // of which its belt takes 1; [2, 2] wait. t=1: [2, 2] and 3, 2 arriving: 2 + 2 board, the
    // overflow takes 1 of the 3 again. t=2: [2, 2], nothing arriving: both board.
    assert_eq!(series(&results, "boarding"), [4.0, 4.0, 4.0, 0.0]);
    assert_eq!(series(&results, "side boarding"), [1.0, 1.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [4.0, 4.0, 4.0, 0.0]);
    assert_eq!(series(&results, "side landing"), [0.0, 1.0, 1.0, 0.0]);
    assert_eq!(series(&results, "landing"), [0.0, 0.0, 4.0, 4.0]);
    // `fulcrum convert` writes both conveyors, the queue and its overflow, in TOML and in
    // XMILE, and each runs to the same bits.
    let (model, _) = fulcrum_xmile::read(&text).expect("reads");
    crate::conformance::check_round_trip(&model, &results).unwrap_or_else(|problem| panic!("{problem}"));
}

#[test]
fn a_leak_written_as_stella_writes_it_takes_its_fraction_from_the_flows_equation() {
    // Stella gives a leak's fraction as the flow's <eqn> beside an empty <leak/>, and writes
    // `<eqn>0</eqn>` and <non_negative/> on the belt's own outflow, which the belt drives.
    let variables = "<stock name=\"Conveyor 1\"><eqn>0</eqn><inflow>inflow_1</inflow><inflow>inflow_2</inflow>\
        <outflow>outflow</outflow><outflow>leak</outflow><non_negative/><conveyor><len>3</len></conveyor></stock>\
        <flow name=\"inflow 1\"><eqn>10</eqn><non_negative/></flow>\
        <flow name=\"inflow 2\"><eqn>IF TIME &lt; 2 THEN 5 ELSE 0</eqn><non_negative/></flow>\
        <flow name=\"outflow\"><eqn>0</eqn><non_negative/></flow>\
        <flow name=\"leak\"><eqn>0.3</eqn><non_negative/><leak/></flow>";
    let text = stella("", variables, "").replace("<stop>3</stop>", "<stop>5</stop>");
    let results = run(&text);
    // Batches of 15, 15, 10, 10 enter over [0, 1], [1, 2], ...; each loses a tenth of itself
    // in each of its three steps on the belt and leaves with 0.7 of it three steps after it
    // entered: the leak at 3 is 1.5 + 1.5 + 1 from the three batches on the belt.
    assert_eq!(series(&results, "outflow"), [0.0, 0.0, 0.0, 10.5, 10.5, 7.0]);
    assert_eq!(series(&results, "leak"), [0.0, 1.5, 3.0, 4.0, 3.5, 3.0]);
    assert_eq!(series(&results, "Conveyor 1"), [0.0, 15.0, 28.5, 35.5, 31.0, 27.0]);
}

#[test]
fn a_conveyor_inside_a_module_reads_its_options_from_the_modules_own_variables() {
    // The transit time, the capacity and the leak fraction name the module's variables.
    let variables = "<module name=\"Pipe\"/><aux name=\"out\"><eqn>Pipe.leaving</eqn></aux>";
    let rest = "<model name=\"Pipe\"><variables>\
        <stock name=\"Belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow><outflow>spilling</outflow>\
        <conveyor><len>transit_time</len><capacity>room</capacity></conveyor></stock>\
        <flow name=\"entering\"><eqn>10</eqn><non_negative/></flow>\
        <flow name=\"leaving\"><eqn>0</eqn><non_negative/></flow>\
        <flow name=\"spilling\"><eqn>share</eqn><non_negative/><leak/></flow>\
        <aux name=\"transit time\"><eqn>2</eqn></aux><aux name=\"room\"><eqn>100</eqn></aux>\
        <aux name=\"share\"><eqn>0.5</eqn></aux></variables></model>";
    let results = run(&stella("", variables, rest));
    // 10 enters each step, loses 2.5 in each of its two steps on the belt and leaves with 5.
    assert_eq!(series(&results, "out"), [0.0, 0.0, 5.0, 5.0]);
    assert_eq!(series(&results, "Pipe.spilling"), [0.0, 2.5, 5.0, 5.0]);
}

#[test]
fn a_conveyor_inside_a_macro_takes_its_transit_time_from_a_parameter() {
    // LAG(x, lag): x enters a belt whose transit time is the call's second argument.
    let rest = "<macro name=\"LAG\"><parm>x</parm><parm>lag</parm><eqn>leaving</eqn><variables>\
        <stock name=\"belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
        <conveyor><len>lag</len></conveyor></stock>\
        <flow name=\"entering\"><eqn>x</eqn></flow><flow name=\"leaving\"/></variables></macro>";
    let variables =
        "<aux name=\"short\"><eqn>LAG(TIME + 1, 1)</eqn></aux><aux name=\"long\"><eqn>LAG(TIME + 1, 2)</eqn></aux>";
    let results = run(&stella("", variables, rest));
    // Inflows 1, 2, 3, 4 leave one or two steps after they entered.
    assert_eq!(series(&results, "short"), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(series(&results, "long"), [0.0, 0.0, 1.0, 2.0]);
}

#[test]
fn a_stock_without_dimensions_takes_the_sum_of_an_arrayed_flow() {
    // Stella lets one pool feed an arrayed stock through an arrayed flow: the pool loses the
    // sum of the flow's elements, each element of the stock gains its own.
    let extras = "<dimensions><dim name=\"Severity\"><elem name=\"Mild\"/><elem name=\"Severe\"/></dim></dimensions>";
    let variables = "<stock name=\"Uninfected\"><eqn>100</eqn><outflow>infecting</outflow><non_negative/></stock>\
        <stock name=\"Infected\"><dimensions><dim name=\"Severity\"/></dimensions><eqn>0</eqn>\
        <inflow>infecting</inflow></stock>\
        <flow name=\"infecting\"><dimensions><dim name=\"Severity\"/></dimensions>\
        <element subscript=\"Mild\"><eqn>1</eqn></element><element subscript=\"Severe\"><eqn>2</eqn></element>\
        <non_negative/></flow>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "Uninfected"), [100.0, 97.0, 94.0, 91.0]);
    assert_eq!(series(&results, "Infected[Mild]"), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(series(&results, "Infected[Severe]"), [0.0, 2.0, 4.0, 6.0]);
}

#[test]
fn spread_inflows_are_simulated_and_written_back() {
    // Stella's `isee:spreadflow="even"` puts an equal share of what enters at every position of
    // the belt: with a transit time of 2 and dt 1, half of each step's 1 leaves one step later
    // and half two steps later.
    let variables = "<stock name=\"Belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
        <conveyor><len>2</len></conveyor></stock>\
        <flow name=\"entering\" isee:spreadflow=\"even\"><eqn>1</eqn><non_negative/></flow><flow name=\"leaving\"/>";
    let text = stella("", variables, "");
    assert_eq!(series(&run(&text), "leaving"), [0.0, 0.5, 1.0, 1.0]);
    // Written as XMILE, the spread comes back and runs the same.
    let (model, _) = fulcrum_xmile::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let written = fulcrum_xmile::write(&model);
    assert!(written.contains("isee:spreadflow=\"even\""), "{written}");
    assert_eq!(series(&run(&written), "leaving"), [0.0, 0.5, 1.0, 1.0]);
    // At the beginning, everything waits the whole transit time.
    let plain = text.replace("isee:spreadflow=\"even\"", "isee:spreadflow=\"beginning\"");
    assert_eq!(series(&run(&plain), "leaving"), [0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn a_profile_spread_shares_what_enters_by_its_graphical_function_and_is_written_back() {
    // `isee:spreadflow="dist"` with the profile its <isee:distrib_eq> names: position k of a
    // belt of 2 steps is read at k/2, the part of the journey still ahead, so a profile rising
    // from 0 to 1 gives weights 0.5 and 1: a third of each step's 1 leaves one step later, two
    // thirds two steps later.
    let variables = "<stock name=\"Belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
        <conveyor><len>2</len></conveyor></stock>\
        <flow name=\"entering\" isee:spreadflow=\"dist\"><eqn>1</eqn><non_negative/>\
        <isee:distrib_eq>arrival_profile</isee:distrib_eq></flow><flow name=\"leaving\"/>\
        <aux name=\"arrival profile\"><eqn>0+0</eqn><gf><xscale min=\"0\" max=\"1\"/><ypts>0,1</ypts></gf></aux>";
    let text = stella("", variables, "");
    let expected = [0.0, 1.0 / 3.0, 1.0, 1.0];
    let close = |values: Vec<f64>| values.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-12);
    let leaving = series(&run(&text), "leaving");
    assert!(close(leaving.clone()), "{leaving:?}");
    let (model, _) = fulcrum_xmile::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let written = fulcrum_xmile::write(&model);
    assert!(written.contains("isee:spreadflow=\"dist\""), "{written}");
    assert!(written.contains("<isee:distrib_eq>arrival profile</isee:distrib_eq>"), "{written}");
    assert_eq!(series(&run(&written), "leaving"), leaving);
    // Inside a module whose profile is an input connected to a graphical function of the model
    // holding it (as Stella's SIR models by a profile are written), the connected one is used.
    let outer = "<module name=\"Ward\"><connect to=\"Ward.arrival_profile\" from=\".arrival_profile\"/></module>\
        <aux name=\"arrival profile\"><eqn>0+0</eqn><gf><xscale min=\"0\" max=\"1\"/><ypts>0,1</ypts></gf></aux>";
    let inner = variables
        .replace("<ypts>0,1</ypts>", "<ypts>1,0</ypts>")
        .replace("name=\"arrival profile\"", "name=\"arrival profile\" access=\"input\"");
    let rest = format!("<model name=\"Ward\"><variables>{inner}</variables></model>");
    let results = run(&stella("", outer, &rest));
    let leaving = series(&results, "Ward.leaving");
    assert!(close(leaving.clone()), "{leaving:?}");
    // A profile spread that names no profile is an error where the spread is written.
    let unnamed = text.replace("<isee:distrib_eq>arrival_profile</isee:distrib_eq>", "");
    let diagnostics = fulcrum_xmile::read(&unnamed).map_or_else(|d| d, |(_, d)| d);
    let found = diagnostics.0.iter().find(|d| d.message.contains("names no profile")).expect("refused");
    assert_eq!(found.code.as_str(), "E0004");
    let span = found.span.expect("located");
    assert_eq!(&unnamed[span.start as usize..span.end as usize], "dist");
}

#[test]
fn a_stella_covid_model_with_spread_inflows_runs_and_keeps_every_person() {
    // A real Stella model (tests/xmile/covid19_severity.md says where it comes from): four
    // arrayed conveyors with exponential leaks, arrivals spread evenly over the first belt and
    // tests moving people by source onto the "tested" belts.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/xmile/covid19_severity.stmx");
    let text = std::fs::read_to_string(path).expect("the model");
    let results = run(&text);
    // One person arrives during [0, 0.25], spread evenly over a belt of 2 days = 8 steps: 1/8
    // leaves during each of the next 8 steps, a rate of 0.5 a day, until those infected by the
    // arrival (who enter at the beginning) reach the end after 8 steps of their own.
    let becoming = series(&results, "becoming contagious[Asymptomatic]");
    assert_eq!(becoming[..9], [0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    // Everyone is somewhere: the million at risk and the arrivals are in a stock of the disease,
    // recovered or dead, at every time, with the spread and leaked material included.
    let stocks = [
        "Uninfected at risk",
        "recovered",
        "Cumulative Deaths",
        "infected not contagious",
        "asymptomatic contagious",
        "symptomatic contagious",
        "symptomatic not contagious",
        "tested infected not contagious",
        "tested asymptomatic contagious",
        "tested symptomatic contagious",
        "tested symptomatic not contagious",
    ];
    let severities = ["Asymptomatic", "Mild", "Moderate", "Severe"];
    let column = |name: &str| -> Vec<Vec<f64>> {
        match results.series(name) {
            Some(values) => vec![values.to_vec()],
            None => severities.iter().map(|s| series(&results, &format!("{name}[{s}]"))).collect(),
        }
    };
    let held: Vec<Vec<f64>> = stocks.iter().flat_map(|name| column(name)).collect();
    let arriving = column("assymptomatic arriving");
    let mut arrived = 0.0;
    for step in 0..becoming.len() {
        let total: f64 = held.iter().map(|values| values[step]).sum();
        assert!((total - 1e6 - arrived).abs() < 1e-6, "step {step}: {total} held, {arrived} arrived");
        arrived += arriving.iter().map(|values| values[step]).sum::<f64>() * 0.25;
    }
    // Tests move people by source, and by the end thousands have been tested.
    let tested = series(&results, "tested symptomatic not contagious[Moderate]");
    assert!(tested.iter().any(|&value| value > 100.0), "{tested:?}");
}

#[test]
fn a_stella_sir_model_spread_by_a_profile_stops_only_at_lookupmean_and_runs_with_it_given() {
    // A real Stella model (tests/xmile/sir_social_distancing_mixnot.md says where it comes from):
    // three modules of 1,000 susceptible and 1 infected; in "Not Mixing" infections enter a
    // conveyor spread by a profile (a module input connected to the top level's graphical
    // function) and its transit time is `disease_duration / LOOKUPMEAN(profile, 1)`.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/xmile/sir_social_distancing_mixnot.stmx");
    let text = std::fs::read_to_string(path).expect("the model");
    // What Stella computes for LOOKUPMEAN was not at hand: the model is refused there, and only
    // there.
    let (model, diagnostics) = fulcrum_xmile::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let errors = fulcrum_model::resolve(&model).expect_err("LOOKUPMEAN is refused");
    assert!(!errors.0.is_empty());
    for error in &errors.0 {
        assert!(error.code.as_str() == "E0501" && error.message.contains("LOOKUPMEAN"), "{errors:?}");
    }
    // With the call given as a number (0.5), the transit time is 14 / 0.5 = 28 days: 112 steps.
    let call = "LOOKUPMEAN(profile, 1)";
    assert_eq!(text.matches(call).count(), 1);
    let results = run(&text.replace(call, "0.5"));
    let get = |name: &str| series(&results, name);
    assert_eq!(get("Not Mixing.transit time")[0], 28.0);
    // The infected person starts spread evenly over the belt: 1/112 leaves each step, 1/28 a day.
    let recovering = get("Not Mixing.recovering");
    assert!((recovering[0] - 1.0 / 28.0).abs() < 1e-15, "{recovering:?}");
    // Infections at 0: 1 infected × 40 contacts a day × 1000/1001 susceptible × 0.0045.
    let infecting = 40.0 * 1000.0 / 1001.0 * 0.0045;
    assert!((get("Not Mixing.infecting")[0] - infecting).abs() < 1e-12);
    // What entered during [0, 0.25] is shared over the 112 positions by the profile read at
    // k/112: position 1 (leaving during [0.25, 0.5]) takes profile(1/112) of the sum of all.
    let points = [
        0.0,
        0.000872093023256,
        0.00348837209302,
        0.00726744186047,
        0.0123546511628,
        0.0186046511628,
        0.0270348837209,
        0.0351744186047,
        0.0446220930233,
        0.0520348837209,
        0.0603197674419,
        0.0667151162791,
        0.0716569767442,
        0.0747093023256,
        0.0747093023256,
        0.0731104651163,
        0.069476744186,
        0.0625,
        0.0553779069767,
        0.0475290697674,
        0.0389534883721,
        0.03125,
        0.024273255814,
        0.0178779069767,
        0.0125,
        0.00828488372093,
        0.00581395348837,
        0.0030523255814,
        0.00174418604651,
        0.00101744186047,
        0.0,
    ];
    // The profile's 31 points are evenly spaced over [0, 1], read between them on a line.
    let profile = |x: f64| {
        let segment = ((x * 30.0).floor() as usize).min(29);
        let along = x * 30.0 - segment as f64;
        points[segment] + (points[segment + 1] - points[segment]) * along
    };
    let total: f64 = (1..=112).map(|k| profile(k as f64 / 112.0)).sum();
    let expected = (1.0 / 112.0 + infecting * 0.25 * profile(1.0 / 112.0) / total) / 0.25;
    assert!((recovering[1] - expected).abs() < 1e-12, "{} vs {expected}", recovering[1]);
    // Everyone is somewhere: in each module the 1,001 people are susceptible, infected or
    // recovered at every time.
    for module in ["Not Mixing", "Not Mixing at all", "Perfect Mixing"] {
        let stocks = ["susceptible", "Infected", "Recovered"].map(|stock| get(&format!("{module}.{stock}")));
        for step in 0..stocks[0].len() {
            let total: f64 = stocks.iter().map(|values| values[step]).sum();
            assert!((total - 1001.0).abs() < 1e-9, "{module} at step {step}: {total}");
        }
    }
    // People leave the spread belt only forwards: recovered never falls, the belt never holds
    // less than nothing.
    let recovered = get("Not Mixing.Recovered");
    assert!(recovered.windows(2).all(|pair| pair[1] >= pair[0]), "{recovered:?}");
    assert!(get("Not Mixing.Infected").iter().all(|&value| value >= 0.0));
}

#[test]
fn stellas_safe_division_operator_gives_zero_where_the_divisor_is_zero() {
    // `a // b` is `SAFEDIV(a, b)`, at the precedence of `/` and from the left.
    let variables = "<aux name=\"divisor\"><eqn>TIME - 1</eqn></aux>\
        <aux name=\"share\"><eqn>6 // divisor</eqn></aux>\
        <aux name=\"mixed\"><eqn>1 + 12 / 2 // divisor * 2</eqn></aux>";
    let results = run(&stella("", variables, ""));
    // divisor -1, 0, 1, 2: 6 / divisor, 0 where it is 0; 1 + ((12 / 2) // divisor) × 2.
    assert_eq!(series(&results, "share"), [-6.0, 0.0, 6.0, 3.0]);
    assert_eq!(series(&results, "mixed"), [-11.0, 1.0, 13.0, 7.0]);
}

#[test]
fn a_leaking_conveyor_with_a_changing_transit_time_leaks_each_batch_over_its_own_steps() {
    // Linear leakage of 0.4: each batch loses 0.4 of what entered, evenly over the steps it
    // spends on the belt, and leaves with the rest. Batch A (10, entering over [0, 1]) reads a
    // transit time of 2: it leaks 2 at t = 1 and 2 and leaves at 2 with 6. Batch B (10, over
    // [1, 2]) reads 4: it leaks 1 at t = 2, 3, 4 and 5 and leaves at 5 with 6.
    let variables = "<stock name=\"Belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
        <outflow>spilling</outflow><conveyor><len>IF TIME &lt; 1 THEN 2 ELSE 4</len></conveyor></stock>\
        <flow name=\"entering\"><eqn>IF TIME &lt; 2 THEN 10 ELSE 0</eqn><non_negative/></flow>\
        <flow name=\"leaving\"><eqn>0</eqn><non_negative/></flow>\
        <flow name=\"spilling\"><eqn>0.4</eqn><non_negative/><leak/></flow>";
    let text = stella("", variables, "").replace("<stop>3</stop>", "<stop>6</stop>");
    let results = run(&text);
    assert_eq!(series(&results, "spilling"), [0.0, 2.0, 3.0, 1.0, 1.0, 1.0, 0.0]);
    assert_eq!(series(&results, "leaving"), [0.0, 0.0, 6.0, 0.0, 0.0, 6.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 18.0, 9.0, 8.0, 7.0, 0.0]);
}

#[test]
fn an_arrayed_leak_may_give_each_element_its_own_fraction() {
    // Exponential leakage from an arrayed belt (transit 2): Mild loses half of what is on the
    // belt per step, Severe a quarter, each element's fraction written as Stella writes it.
    let extras = "<dimensions><dim name=\"Severity\"><elem name=\"Mild\"/><elem name=\"Severe\"/></dim></dimensions>";
    let variables = "<stock name=\"sick\"><dimensions><dim name=\"Severity\"/></dimensions><eqn>0</eqn>\
        <inflow>infecting</inflow><outflow>recovering</outflow><outflow>testing</outflow>\
        <conveyor exponential_leak=\"true\"><len>2</len></conveyor></stock>\
        <flow name=\"infecting\"><dimensions><dim name=\"Severity\"/></dimensions>\
        <eqn>IF TIME &lt; 1 THEN 8 ELSE 0</eqn><non_negative/></flow>\
        <flow name=\"recovering\"><dimensions><dim name=\"Severity\"/></dimensions><eqn>0</eqn><non_negative/></flow>\
        <flow name=\"testing\"><dimensions><dim name=\"Severity\"/></dimensions>\
        <element subscript=\"Mild\"><eqn>0.5</eqn></element><element subscript=\"Severe\"><eqn>0.25</eqn></element>\
        <non_negative/><leak/></flow>";
    let results = run(&stella(extras, variables, ""));
    // 8 enters over [0, 1]; at t = 1 and 2 it loses its fraction of what is left; at 2 the rest
    // leaves: Mild 4 then 2, leaving 2; Severe 2 then 1.5, leaving 4.5.
    assert_eq!(series(&results, "testing[Mild]"), [0.0, 4.0, 2.0, 0.0]);
    assert_eq!(series(&results, "recovering[Mild]"), [0.0, 0.0, 2.0, 0.0]);
    assert_eq!(series(&results, "testing[Severe]"), [0.0, 2.0, 1.5, 0.0]);
    assert_eq!(series(&results, "recovering[Severe]"), [0.0, 0.0, 4.5, 0.0]);
}

#[test]
fn a_subscript_computed_during_the_run_picks_its_element_and_0_outside_the_dimension() {
    let extras =
        "<dimensions><dim name=\"Slot\"><elem name=\"a\"/><elem name=\"b\"/><elem name=\"c\"/></dim></dimensions>";
    let variables = "<aux name=\"values\"><dimensions><dim name=\"Slot\"/></dimensions>\
        <element subscript=\"a\"><eqn>10</eqn></element><element subscript=\"b\"><eqn>20</eqn></element>\
        <element subscript=\"c\"><eqn>30</eqn></element></aux>\
        <aux name=\"picked\"><eqn>values[INT(TIME MOD 4) + 1]</eqn></aux>\
        <aux name=\"shifted\"><dimensions><dim name=\"Slot\"/></dimensions><eqn>values[Slot + TIME]</eqn></aux>";
    let results = run(&stella(extras, variables, ""));
    // Positions 1, 2, 3, 4 at t = 0..3: the fourth is outside, so 0.
    assert_eq!(series(&results, "picked"), [10.0, 20.0, 30.0, 0.0]);
    // Element i reads position i + TIME.
    assert_eq!(series(&results, "shifted[a]"), [10.0, 20.0, 30.0, 0.0]);
    assert_eq!(series(&results, "shifted[c]"), [30.0, 0.0, 0.0, 0.0]);
}

#[test]
fn pulse_with_the_volume_alone_fires_in_the_step_it_is_evaluated() {
    // Stella's PULSE(volume): the first pulse at the current time, no repeat, so volume/DT in
    // each step the IF takes it (DT 1 here, then DT 0.5).
    let variables = "<stock name=\"moved\"><eqn>0</eqn><inflow>moving</inflow></stock>\
        <flow name=\"moving\"><eqn>IF TIME &gt;= 1 AND TIME &lt; 2.5 THEN PULSE(3) ELSE 0</eqn></flow>";
    let results = run(&stella("", variables, ""));
    assert_eq!(series(&results, "moving"), [0.0, 3.0, 3.0, 0.0]);
    assert_eq!(series(&results, "moved"), [0.0, 0.0, 3.0, 6.0]);
    let halves = stella("", variables, "").replace("<dt>1</dt>", "<dt>0.5</dt>");
    let results = run(&halves);
    assert_eq!(series(&results, "moving"), [0.0, 0.0, 6.0, 6.0, 6.0, 0.0, 0.0]);
    assert_eq!(series(&results, "moved"), [0.0, 0.0, 0.0, 3.0, 6.0, 9.0, 9.0]);
}

#[test]
fn a_seed_may_be_computed_from_the_element_position() {
    // `Slot * 7` is 7 at the first element and 14 at the second: each element draws the
    // sequence a scalar with that seed draws.
    let extras = "<dimensions><dim name=\"Slot\"><elem name=\"a\"/><elem name=\"b\"/></dim></dimensions>";
    let variables = "<aux name=\"draw\"><dimensions><dim name=\"Slot\"/></dimensions>\
        <eqn>WEIBULL(3, 15.7, Slot * 7, 0, 30)</eqn></aux>\
        <aux name=\"seven\"><eqn>WEIBULL(3, 15.7, 7, 0, 30)</eqn></aux>\
        <aux name=\"fourteen\"><eqn>WEIBULL(3, 15.7, 14, 0, 30)</eqn></aux>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "draw[a]"), series(&results, "seven"));
    assert_eq!(series(&results, "draw[b]"), series(&results, "fourteen"));
    assert_ne!(series(&results, "draw[a]"), series(&results, "draw[b]"));
}

#[test]
fn size_of_a_slice_of_self_counts_the_elements_of_the_variable_defined() {
    let extras = "<dimensions><dim name=\"Who\" size=\"4\"/><dim name=\"Contact\" size=\"3\"/></dimensions>";
    let variables = "<aux name=\"picks\"><dimensions><dim name=\"Who\"/><dim name=\"Contact\"/></dimensions>\
        <eqn>SIZE(SELF[*, Contact]) * 10 + SIZE(SELF[Who, *])</eqn></aux>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "picks[2, 3]"), [43.0; 4]);
}

#[test]
fn a_variable_used_as_an_index_picks_the_element_at_its_value() {
    // `order` is arrayed over Slot and holds positions 3, 1 and TIME + 1; `picked[Slot]` reads
    // `values` at the position `order` gives for the same element, as Stella's `a[index_var]`.
    let extras =
        "<dimensions><dim name=\"Slot\"><elem name=\"a\"/><elem name=\"b\"/><elem name=\"c\"/></dim></dimensions>";
    let variables = "<aux name=\"values\"><dimensions><dim name=\"Slot\"/></dimensions>\
        <element subscript=\"a\"><eqn>10</eqn></element><element subscript=\"b\"><eqn>20</eqn></element>\
        <element subscript=\"c\"><eqn>30</eqn></element></aux>\
        <aux name=\"order\"><dimensions><dim name=\"Slot\"/></dimensions>\
        <element subscript=\"a\"><eqn>3</eqn></element><element subscript=\"b\"><eqn>1</eqn></element>\
        <element subscript=\"c\"><eqn>TIME + 1</eqn></element></aux>\
        <aux name=\"picked\"><dimensions><dim name=\"Slot\"/></dimensions><eqn>values[order]</eqn></aux>";
    let results = run(&stella(extras, variables, ""));
    assert_eq!(series(&results, "picked[a]"), [30.0; 4]);
    assert_eq!(series(&results, "picked[b]"), [10.0; 4]);
    // Positions 1, 2, 3, 4 at t = 0..3: the fourth is outside the dimension, so 0.
    assert_eq!(series(&results, "picked[c]"), [10.0, 20.0, 30.0, 0.0]);
}

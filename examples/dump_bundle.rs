#[path = "../tests/sim/mod.rs"]
mod sim;
fn main() {
    let out = std::env::args().nth(1).unwrap();
    let sim = sim::meeting_with(|s| {
        if std::env::args().nth(2).is_some() {
            s.corrupt_tally = Some(Box::new(|round, v| {
                if round == "f1" {
                    let n = v["tally"][1]["for"].as_u64().unwrap();
                    v["tally"][1]["for"] = (n + 1).into();
                }
            }));
        }
    });
    scrutineer::bundle_io::write_bundle(&sim.bundle(), std::path::Path::new(&out)).unwrap();
}

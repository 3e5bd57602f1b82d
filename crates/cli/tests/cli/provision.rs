//! `clawbox-gateway provision`: a room's CSV in, links, scannable QR codes and provisioning
//! files out; a bad row named by its line, with nothing written.

use std::path::Path;
use std::process::Command;

use clawbox_provision::Provision;

fn provision(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clawbox-gateway"))
        .arg("provision")
        .args(args)
        .output()
        .unwrap()
}

/// What a phone would read from the printed code.
fn scan(png_path: &Path) -> String {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {}", png_path.display());
    grids[0].decode().unwrap().1
}

#[test]
fn a_room_gets_a_link_a_scannable_code_and_a_file_per_trainee() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("room.csv");
    // A spreadsheet's export: a byte-order mark, spaces, a per-row override of the room's mode.
    std::fs::write(
        &csv,
        "\u{feff}user_id, name ,mode\ntrainee-01,Ada <Lovelace>,\n trainee/02 ,Grace,local\n",
    )
    .unwrap();
    let out = dir.path().join("cards");
    let run = provision(&[
        csv.to_str().unwrap(),
        "--hosted-url",
        "https://gw.example.org/",
        "--mode",
        "hosted",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let ada =
        "clawbox://onboard?user_id=trainee-01&hosted_url=https%3A%2F%2Fgw.example.org&mode=hosted";
    let grace =
        "clawbox://onboard?user_id=trainee%2F02&hosted_url=https%3A%2F%2Fgw.example.org&mode=local";
    assert!(
        stdout.contains(&format!("trainee-01 (Ada <Lovelace>)\n{ada}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("trainee/02 (Grace)\n{grace}\n")),
        "{stdout}"
    );
    // The terminal codes: half-block characters, one per trainee.
    assert!(stdout.matches('▀').count() > 100, "{stdout}");

    assert_eq!(scan(&out.join("trainee-01.png")), ada);
    assert_eq!(scan(&out.join("trainee_02.png")), grace);
    let file = Provision::from_file(&out.join("trainee_02.json")).unwrap();
    assert_eq!(file, Provision::from_link(grace).unwrap());
    // The page to print: a card per trainee with their code, name and link, names escaped.
    let cards = std::fs::read_to_string(out.join("cards.html")).unwrap();
    assert_eq!(cards.matches("<section class=\"card\">").count(), 2);
    assert!(cards.contains("<img src=\"trainee-01.png\""), "{cards}");
    assert!(cards.contains("<h2>Ada &lt;Lovelace&gt;</h2>"), "{cards}");
    assert!(cards.contains(&ada.replace('&', "&amp;")), "{cards}");
    assert!(cards.contains("<b>https://gw.example.org</b>"), "{cards}");
    let sheet = std::fs::read_to_string(out.join("links.csv")).unwrap();
    assert_eq!(
        sheet,
        format!(
            "user_id,name,link,qr_code,provisioning_file\n\
             trainee-01,Ada <Lovelace>,{ada},trainee-01.png,trainee-01.json\n\
             trainee/02,Grace,{grace},trainee_02.png,trainee_02.json\n"
        )
    );
}

#[test]
fn one_trainee_from_flags_and_bad_rooms_named_by_line_with_nothing_written() {
    let run = provision(&["--user-id", "jane", "--no-qr"]);
    assert!(run.status.success());
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "jane\nclawbox://onboard?user_id=jane\n\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cards");
    let cases = [
        (
            "user_id\na\nb\na\n",
            "line 4: the user id `a` is given twice",
        ),
        ("name\nAda\n", "with a user_id column"),
        ("user_id,email\na,a@x\n", "unknown column `email`"),
        (
            "user_id,hosted_url\na,https://ok.example.org\nb,http://gw.example.org\n",
            "line 3: hosted_url is not usable: it must use https://",
        ),
        (
            "user_id,mode\na,hosted\n",
            "line 2: mode is not usable: hosted mode needs a hosted_url",
        ),
        ("user_id\n", "no trainees below the header row"),
        (
            "user_id,name,user_id\na,b,c\n",
            "the column `user_id` appears twice",
        ),
        // A quoted name over two lines: the bad row is still named by the line it starts on.
        (
            "user_id,name\na,\"Ada\nLovelace\"\nb,Bob\na,Al\n",
            "line 5: the user id `a` is given twice",
        ),
    ];
    for (text, expected) in cases {
        let csv = dir.path().join("room.csv");
        std::fs::write(&csv, text).unwrap();
        let run = provision(&[csv.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{text:?} was accepted");
        assert!(stderr.contains(expected), "{text:?}: {stderr}");
        assert!(!out.exists(), "{text:?} wrote files");
    }
    // Ids that would share a file name, here or on a file system that ignores case.
    let csv = dir.path().join("room.csv");
    for room in ["user_id\na/b\na_b\n", "user_id\nJane\njane\n"] {
        std::fs::write(&csv, room).unwrap();
        let run = provision(&[csv.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("like another one"),
            "{room}"
        );
        assert!(!out.exists());
    }
    // A name Windows keeps for a device gets a prefix.
    std::fs::write(&csv, "user_id\ncon\n").unwrap();
    let run = provision(&[csv.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success());
    assert!(out.join("_con.png").exists() && out.join("_con.json").exists());
}

use super::*;
use std::path::Path;

fn enterprise(id: &str, section: char, class: &str) -> FrameEnterprise {
    FrameEnterprise {
        enterprise_id: id.into(),
        stratum: StratumLabel {
            section,
            size_class: class.into(),
        },
        subdistrict: None,
        employees: None,
        extra: Vec::new(),
    }
}

fn rank(class: &str) -> usize {
    ["micro", "small", "medium", "large"]
        .iter()
        .position(|c| *c == class)
        .unwrap_or(4)
}

/// Ten enterprises in C/small (3 accepted), four in I/micro (1 accepted), two in
/// F/large (none accepted); two rejected, one of them since accepted.
fn frame() -> Frame {
    let mut enterprises = Vec::new();
    for i in 0..10 {
        enterprises.push(enterprise(&format!("C{i:02}"), 'C', "small"));
    }
    for i in 0..4 {
        enterprises.push(enterprise(&format!("I{i:02}"), 'I', "micro"));
    }
    enterprises.push(enterprise("F01", 'F', "large"));
    enterprises.push(enterprise(" f00 ", 'F', "large"));
    Frame {
        enterprises,
        ..Frame::default()
    }
}

fn rejections() -> Rejections {
    let lines = concat!(
        r#"{"file":"x.xlsx","rule":"required","severity":"error","message_zh":"必填","message_en":"required","enterprise_id":"c05"}"#,
        "\n",
        r#"{"file":"y.json","rule":"required","severity":"error","message_zh":"必填","message_en":"required","enterprise_id":"I02"}"#,
        "\n",
        r#"{"file":"z.json","rule":"required","severity":"error","message_zh":"必填","message_en":"required","enterprise_id":"C00"}"#,
        "\n",
        r#"{"file":"bad.json","rule":"invalid-credit-code","severity":"error","message_zh":"代码错","message_en":"bad code","enterprise_id":"C0X"}"#,
        "\n",
    );
    Rejections::from_reader(lines.as_bytes(), Path::new("rejects.jsonl")).unwrap()
}

fn accepted() -> Vec<String> {
    // C00 was rejected, then accepted: it is not chased. Ids come as the dataset has them.
    ["C00", "C01", "c02", "I00", "ZZ9"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn the_list_is_the_frame_less_the_accepted_returns() {
    let (frame, rejections, accepted) = (frame(), rejections(), accepted());
    let chase = Chase::build(&frame, &accepted, Some(&rejections), Target::of(None), &rank);
    assert_eq!(chase.entries.len(), 16 - 4);
    assert!(
        chase
            .entries
            .iter()
            .all(|e| !["C00", "C01", "C02", "I00"].contains(&e.id.as_str()))
    );
    let status = |id: &str| chase.entries.iter().find(|e| e.id == id).map(|e| e.status);
    assert_eq!(status("C05"), Some(ChaseStatus::Rejected));
    assert_eq!(status("I02"), Some(ChaseStatus::Rejected));
    assert_eq!(status("C03"), Some(ChaseStatus::NotReceived));
    assert_eq!(status("F00"), Some(ChaseStatus::NotReceived));
    assert_eq!(
        chase
            .entries
            .iter()
            .find(|e| e.id == "C05")
            .unwrap()
            .rejection
            .unwrap()
            .file,
        "x.xlsx"
    );
    assert_eq!(chase.count(ChaseStatus::Rejected), 2);
    assert_eq!(chase.count(ChaseStatus::NotReceived), 10);
    // C0X is in no frame; z.json is C00's, which is in the frame (accepted since).
    assert_eq!(chase.unmatched_rejections, 1);
    assert!(chase.rejections_read);
}

#[test]
fn progress_by_hand_and_strata_furthest_from_target_first() {
    let (frame, rejections, accepted) = (frame(), rejections(), accepted());
    let chase = Chase::build(&frame, &accepted, Some(&rejections), Target::of(Some(0.5)), &rank);
    let row = |label: &str| chase.strata.iter().find(|s| s.label.to_string() == label).unwrap();
    // C/small: N = 10, n = 3; ceil(0.5 x 10) - 3 = 2; C05 rejected.
    assert_eq!((row("C/small").population, row("C/small").returns), (10, 3));
    assert_eq!(row("C/small").needed(0.5), 2);
    assert_eq!(row("C/small").rejected, 1);
    // I/micro: N = 4, n = 1; 2 - 1 = 1.
    assert_eq!(row("I/micro").needed(0.5), 1);
    // F/large: N = 2, n = 0; 1 - 0 = 1, at rate 0 ahead of I/micro's 0.25.
    assert_eq!(row("F/large").needed(0.5), 1);
    let order: Vec<String> = chase.strata.iter().map(|s| s.label.to_string()).collect();
    assert_eq!(order, ["C/small", "F/large", "I/micro"]);
    assert_eq!(chase.returns_needed(), 4);
    // The list follows the strata, rejected first, then by id.
    let ids: Vec<&str> = chase.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "C05", "C03", "C04", "C06", "C07", "C08", "C09", "F00", "F01", "I02", "I01", "I03"
        ]
    );
    // At 35%: C/small needs ceil(3.5) - 3 = 1, F/large ceil(0.7) = 1, I/micro ceil(1.4) - 1 = 1;
    // then the lowest rate first.
    let chase = Chase::build(&frame, &accepted, Some(&rejections), Target::of(Some(0.35)), &rank);
    let order: Vec<String> = chase.strata.iter().map(|s| s.label.to_string()).collect();
    assert_eq!(order, ["F/large", "I/micro", "C/small"]);
    assert_eq!(chase.returns_needed(), 3);
}

#[test]
fn without_rejections_everyone_is_not_received() {
    let (frame, accepted) = (frame(), accepted());
    let chase = Chase::build(&frame, &accepted, None, Target::of(None), &rank);
    assert!(!chase.rejections_read);
    assert_eq!(
        chase.target,
        Target {
            rate: DEFAULT_TARGET_RATE,
            given: false
        }
    );
    assert_eq!(chase.count(ChaseStatus::Rejected), 0);
    assert_eq!(chase.count(ChaseStatus::NotReceived), 12);
    assert!(chase.strata.iter().all(|s| s.rejected == 0));
}

#[test]
fn the_same_inputs_give_the_same_order_whatever_the_frame_order() {
    let (frame, rejections, accepted) = (frame(), rejections(), accepted());
    let mut reversed = frame.clone();
    reversed.enterprises.reverse();
    let a = Chase::build(&frame, &accepted, Some(&rejections), Target::of(None), &rank);
    let b = Chase::build(&reversed, &accepted, Some(&rejections), Target::of(None), &rank);
    let ids = |c: &Chase<'_>| c.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.strata, b.strata);
}

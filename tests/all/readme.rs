//! README stays true where the code can check it.
/// README's permission table is the matrix in `domain::permission`, row for row.
#[test]
fn the_readme_shows_the_permission_matrix_the_code_has() {
    use ottsonly::domain::permission::{allows, Permission};
    use ottsonly::entities::user::Role;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("<!-- permissions:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- permissions:end -->").next())
        .expect("the permission table between its markers");
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`');
        let permission = Permission::ALL
            .into_iter()
            .find(|p| format!("{p:?}") == name)
            .unwrap_or_else(|| panic!("README names {name}, which the code does not have"));
        for (cell, role) in cells[3..6].iter().zip([Role::Support, Role::Admin, Role::Owner]) {
            assert_eq!(*cell == "✓", allows(role, permission), "README: {name} for {role:?} says {cell}");
        }
        rows += 1;
    }
    assert_eq!(rows, Permission::ALL.len(), "one row per permission");
}

//! Who may do what. Every admin act names the one permission it needs; a role either has it
//! or not. The full matrix (API tokens, dashboard pages) builds on this one.
use crate::entities::user::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See customers, orders, subscriptions, plans, settings, the audit log and the queues
    /// (UPI claims, withdrawals, fraud flags).
    View,
    /// Send a customer their login again.
    ResendLogin,
    /// Answer support tickets and login reports: reply, close, replace a faulty login.
    HelpCustomers,
    /// Figures, charts and CSV exports of the business.
    ViewReports,
    /// Create and describe plans, add stock, change a shared login's password (/rotate).
    ManageCatalog,
    /// Promo codes and offers.
    ManageOffers,
    /// Credit, debit, refund.
    MoveMoney,
    /// Approve or reject UPI claims and withdrawals; mark payouts paid or failed.
    DecidePayments,
    /// Resolve fraud flags; block and unblock customers.
    Moderate,
    /// Change the runtime settings.
    ChangeSettings,
    /// Change the safeguards on money (the two-person thresholds): an admin must not be able to
    /// lift the rule that binds them.
    ChangeSafeguards,
    /// Grant and revoke the admin and support roles.
    ManageStaff,
    /// Create, list and revoke API tokens.
    ManageTokens,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::View,
        Permission::ResendLogin,
        Permission::HelpCustomers,
        Permission::ViewReports,
        Permission::ManageCatalog,
        Permission::ManageOffers,
        Permission::MoveMoney,
        Permission::DecidePayments,
        Permission::Moderate,
        Permission::ChangeSettings,
        Permission::ChangeSafeguards,
        Permission::ManageStaff,
        Permission::ManageTokens,
    ];
}

/// The matrix, the one place it is defined: support sees and helps customers, admins run the
/// shop, owners also manage the staff and the API tokens.
pub fn allows(role: Role, permission: Permission) -> bool {
    match role {
        Role::User => false,
        Role::Support => {
            matches!(permission, Permission::View | Permission::ResendLogin | Permission::HelpCustomers)
        }
        Role::Admin => {
            !matches!(permission, Permission::ManageStaff | Permission::ManageTokens | Permission::ChangeSafeguards)
        }
        Role::Owner => true,
    }
}

pub fn is_staff(role: Role) -> bool {
    allows(role, Permission::View)
}

/// The roles an owner can give with /staff. Owners come only from `ADMIN_IDS`.
pub fn grantable(role: Role) -> bool {
    matches!(role, Role::User | Role::Support | Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_may_do_nothing_staff_may_see() {
        for permission in Permission::ALL {
            assert!(!allows(Role::User, permission), "{permission:?}");
            assert!(allows(Role::Owner, permission), "{permission:?}");
        }
        assert!(allows(Role::Support, Permission::View) && allows(Role::Support, Permission::ResendLogin));
        assert!(allows(Role::Support, Permission::HelpCustomers));
        assert!(is_staff(Role::Support) && is_staff(Role::Admin) && !is_staff(Role::User));
    }

    #[test]
    fn support_moves_no_money_and_decides_nothing() {
        for permission in [
            Permission::ViewReports,
            Permission::ManageCatalog,
            Permission::ManageOffers,
            Permission::MoveMoney,
            Permission::DecidePayments,
            Permission::Moderate,
            Permission::ChangeSettings,
            Permission::ManageStaff,
            Permission::ManageTokens,
        ] {
            assert!(!allows(Role::Support, permission), "{permission:?}");
        }
    }

    #[test]
    fn only_owners_manage_staff_and_tokens() {
        assert!(!allows(Role::Admin, Permission::ManageStaff) && !allows(Role::Admin, Permission::ManageTokens));
        assert!(
            !allows(Role::Admin, Permission::ChangeSafeguards) && allows(Role::Owner, Permission::ChangeSafeguards)
        );
        assert!(allows(Role::Admin, Permission::ViewReports));
        assert!(allows(Role::Admin, Permission::MoveMoney) && allows(Role::Admin, Permission::ChangeSettings));
        assert!(grantable(Role::Admin) && grantable(Role::Support) && grantable(Role::User));
        assert!(!grantable(Role::Owner));
    }
}

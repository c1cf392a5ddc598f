//! The read side of authorization for lists: which rows of a resource a subject may see,
//! as a value ([`ReadScope`]) and as a SQL condition for sea-query.

use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use uuid::Uuid;

use super::{Action, Resource, Subject, roles::Scope};

/// The rows of one resource a subject may see with one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// Every row.
    All,
    /// Only some rows.
    Limited {
        /// The subject, for owner matches.
        user_id: Uuid,
        /// Organizations whose every row is visible.
        orgs: Vec<Uuid>,
        /// Organizations where rows the subject owns are visible.
        owned_in_orgs: Vec<Uuid>,
        /// Whether owned rows outside any organization are visible.
        owned_without_org: bool,
    },
}

impl ReadScope {
    /// What `subject` may see of `resource` when it needs `action` (usually read).
    pub fn compute(subject: &Subject, action: Action, resource: Resource) -> Self {
        let mut owned_without_org = false;
        for role in subject.effective_site_roles() {
            match role.grant(resource, action) {
                Some(Scope::Site) => return ReadScope::All,
                Some(Scope::Owner) => owned_without_org = true,
                _ => {}
            }
        }
        let mut orgs = Vec::new();
        let mut owned_in_orgs = Vec::new();
        for &org_id in subject.org_roles.keys() {
            let scopes: Vec<Scope> = subject
                .effective_org_roles(org_id)
                .into_iter()
                .filter_map(|role| role.grant(resource, action))
                .collect();
            if scopes.contains(&Scope::Org) || scopes.contains(&Scope::Site) {
                orgs.push(org_id);
            } else if scopes.contains(&Scope::Owner) {
                owned_in_orgs.push(org_id);
            }
        }
        ReadScope::Limited {
            user_id: subject.user_id,
            orgs,
            owned_in_orgs,
            owned_without_org,
        }
    }

    /// Whether no row at all is visible, so a caller can skip the query.
    pub fn is_nothing(&self) -> bool {
        matches!(self, ReadScope::Limited { orgs, owned_in_orgs, owned_without_org: false, .. }
            if orgs.is_empty() && owned_in_orgs.is_empty())
    }

    /// Whether every row of organization `org_id` is visible.
    pub fn covers_org(&self, org_id: Uuid) -> bool {
        match self {
            ReadScope::All => true,
            ReadScope::Limited { orgs, .. } => orgs.contains(&org_id),
        }
    }

    /// The SQL condition selecting the visible rows, given the table's organization and
    /// owner columns (None where the table has no such column).
    pub fn condition(&self, org_col: Option<Expr>, owner_col: Option<Expr>) -> Condition {
        let ReadScope::Limited {
            user_id,
            orgs,
            owned_in_orgs,
            owned_without_org,
        } = self
        else {
            return Condition::all();
        };
        let mut any = Condition::any();
        let mut added = false;
        if let Some(org) = &org_col
            && !orgs.is_empty()
        {
            any = any.add(org.clone().is_in(orgs.iter().copied()));
            added = true;
        }
        if let Some(owner) = &owner_col {
            if let Some(org) = &org_col
                && !owned_in_orgs.is_empty()
            {
                any = any.add(
                    Condition::all()
                        .add(owner.clone().eq(*user_id))
                        .add(org.clone().is_in(owned_in_orgs.iter().copied())),
                );
                added = true;
            }
            if *owned_without_org {
                let mine = Condition::all().add(owner.clone().eq(*user_id));
                any = any.add(match &org_col {
                    Some(org) => mine.add(org.clone().is_null()),
                    None => mine,
                });
                added = true;
            }
        }
        if added {
            any
        } else {
            // Portable "false" on both engines.
            Condition::all().add(Expr::cust("1 = 0"))
        }
    }
}

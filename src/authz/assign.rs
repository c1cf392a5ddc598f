//! Who may hand out (or take away) which role. As Coder does:
//!
//! | assigner | site roles | roles in an organization |
//! |---|---|---|
//! | owner | all | all |
//! | user-admin | member only | organization-member only |
//! | organization-admin (of that organization) | none | all |
//! | organization-user-admin (of that organization) | none | organization-member only |
//! | anyone else | none | none |
//!
//! The member roles are implied by being a user or a member at all, so "member only" means
//! a user admin can create users and memberships but can never raise anybody above them.
//! A change of roles is allowed when every role added *and* every role removed is one the
//! subject may assign, so nobody can strip a role they could not have granted. Nobody may
//! change their own roles; that rule needs the target, so the domain applies it.

use uuid::Uuid;

use super::{OrgRole, SiteRole, Subject};

/// A role the subject may not assign or remove.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("You may not assign or remove the role {role:?}.")]
pub struct NotAssignable {
    /// The role's name.
    pub role: &'static str,
}

/// Whether `subject` may assign or remove the site role `role`.
pub fn may_assign_site_role(subject: &Subject, role: SiteRole) -> bool {
    subject.site_roles.contains(&SiteRole::Owner)
        || (subject.site_roles.contains(&SiteRole::UserAdmin) && role == SiteRole::Member)
}

/// Whether `subject` may assign or remove `role` in organization `org_id`.
pub fn may_assign_org_role(subject: &Subject, org_id: Uuid, role: OrgRole) -> bool {
    let held = subject
        .org_roles
        .get(&org_id)
        .map_or(&[][..], Vec::as_slice);
    subject.site_roles.contains(&SiteRole::Owner)
        || held.contains(&OrgRole::OrganizationAdmin)
        || ((subject.site_roles.contains(&SiteRole::UserAdmin)
            || held.contains(&OrgRole::OrganizationUserAdmin))
            && role == OrgRole::OrganizationMember)
}

/// Checks a change of site roles from `current` to `wanted`: every role added or removed
/// must be assignable by `subject`.
pub fn check_site_roles(
    subject: &Subject,
    current: &[SiteRole],
    wanted: &[SiteRole],
) -> Result<(), NotAssignable> {
    changed(current, wanted)
        .find(|role| !may_assign_site_role(subject, *role))
        .map_or(Ok(()), |role| {
            Err(NotAssignable {
                role: role.as_str(),
            })
        })
}

/// Checks a change of roles in organization `org_id` from `current` to `wanted`.
pub fn check_org_roles(
    subject: &Subject,
    org_id: Uuid,
    current: &[OrgRole],
    wanted: &[OrgRole],
) -> Result<(), NotAssignable> {
    changed(current, wanted)
        .find(|role| !may_assign_org_role(subject, org_id, *role))
        .map_or(Ok(()), |role| {
            Err(NotAssignable {
                role: role.as_str(),
            })
        })
}

/// The roles in exactly one of the two sets, in a stable order.
fn changed<'a, R: Copy + Ord>(current: &'a [R], wanted: &'a [R]) -> impl Iterator<Item = R> + 'a {
    let mut roles: Vec<R> = current
        .iter()
        .filter(|r| !wanted.contains(r))
        .chain(wanted.iter().filter(|r| !current.contains(r)))
        .copied()
        .collect();
    roles.sort();
    roles.dedup();
    roles.into_iter()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn subject(site: &[SiteRole], org: Option<(Uuid, &[OrgRole])>) -> Subject {
        Subject {
            user_id: Uuid::new_v4(),
            site_roles: site.to_vec(),
            org_roles: org
                .map(|(id, roles)| BTreeMap::from([(id, roles.to_vec())]))
                .unwrap_or_default(),
            name: "t".into(),
            internal: false,
            origin: Default::default(),
        }
    }

    /// Every assigner against every role: the whole matrix, row by row.
    #[test]
    fn the_role_assignment_matrix() {
        use OrgRole::*;
        use SiteRole::*;
        let org = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        // (assigner's site roles, assigner's roles in `org`, site roles it may assign,
        //  roles in `org` it may assign)
        type Row = (
            &'static [SiteRole],
            Option<&'static [OrgRole]>,
            &'static [SiteRole],
            &'static [OrgRole],
        );
        let rows: &[Row] = &[
            (&[Owner], None, &SiteRole::ALL, &OrgRole::ALL),
            (&[UserAdmin], None, &[Member], &[OrganizationMember]),
            (&[TemplateAdmin], None, &[], &[]),
            (&[Auditor], None, &[], &[]),
            (&[], None, &[], &[]),
            (&[], Some(&[]), &[], &[]),
            (&[], Some(&[OrganizationAdmin]), &[], &OrgRole::ALL),
            (
                &[],
                Some(&[OrganizationUserAdmin]),
                &[],
                &[OrganizationMember],
            ),
            (&[], Some(&[OrganizationTemplateAdmin]), &[], &[]),
            (&[], Some(&[OrganizationAuditor]), &[], &[]),
            (
                &[UserAdmin],
                Some(&[OrganizationUserAdmin]),
                &[Member],
                &[OrganizationMember],
            ),
        ];
        for (site, in_org, site_ok, org_ok) in rows {
            let who = subject(site, in_org.map(|roles| (org, roles)));
            for role in SiteRole::ALL {
                assert_eq!(
                    may_assign_site_role(&who, role),
                    site_ok.contains(&role),
                    "{site:?}/{in_org:?} assigning site role {role}"
                );
            }
            for role in OrgRole::ALL {
                assert_eq!(
                    may_assign_org_role(&who, org, role),
                    org_ok.contains(&role),
                    "{site:?}/{in_org:?} assigning {role} in its organization"
                );
                // Organization roles never reach another organization.
                let site_wide = site.contains(&Owner)
                    || (site.contains(&UserAdmin) && role == OrganizationMember);
                assert_eq!(
                    may_assign_org_role(&who, other, role),
                    site_wide,
                    "{site:?}/{in_org:?} assigning {role} in another organization"
                );
            }
        }
    }

    #[test]
    fn changes_check_both_added_and_removed_roles() {
        let org = Uuid::from_u128(1);
        let user_admin = subject(&[SiteRole::UserAdmin], None);
        assert_eq!(check_site_roles(&user_admin, &[], &[]), Ok(()));
        assert_eq!(
            check_site_roles(&user_admin, &[], &[SiteRole::TemplateAdmin]),
            Err(NotAssignable {
                role: "template-admin"
            })
        );
        // Taking a role away needs the same right as granting it.
        assert_eq!(
            check_site_roles(&user_admin, &[SiteRole::Auditor], &[]),
            Err(NotAssignable { role: "auditor" })
        );
        // Unchanged roles are not checked.
        assert_eq!(
            check_site_roles(&user_admin, &[SiteRole::Owner], &[SiteRole::Owner]),
            Ok(())
        );
        let org_user_admin = subject(&[], Some((org, &[OrgRole::OrganizationUserAdmin])));
        assert_eq!(
            check_org_roles(&org_user_admin, org, &[], &[OrgRole::OrganizationUserAdmin]),
            Err(NotAssignable {
                role: "organization-user-admin"
            })
        );
        let org_admin = subject(&[], Some((org, &[OrgRole::OrganizationAdmin])));
        assert_eq!(
            check_org_roles(
                &org_admin,
                org,
                &[OrgRole::OrganizationAuditor],
                &[OrgRole::OrganizationAdmin]
            ),
            Ok(())
        );
    }
}

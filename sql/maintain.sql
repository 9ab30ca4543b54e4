-- title: Maintain the Delta tables
-- about: Delta housekeeping for tables that grow by small daily merges and appends: the cleaned tables clustered on `ind`, the bronze tables on `load_id`, small files compacted (OPTIMIZE), and files older than the retention period removed (VACUUM), also those of the changes tables each clean run replaces. Run weekly by the maintain job; running it again does no harm.
-- widget: pin_table = `0affe4008223_pin_table` | Delta table of the cleaned pin records
-- widget: pin_rejects_table = `0affe4008223_pin_rejects` | Delta table of the unreadable pin records
-- widget: pin_bronze_table = `0affe4008223_pin_bronze` | Delta table of the landed pin lines as loaded
-- widget: pin_changes_table = `0affe4008223_pin_changes` | Delta table of the last clean run's pin changes (replaced each run)
-- widget: geo_table = `0affe4008223_geo_table` | Delta table of the cleaned geo records
-- widget: geo_rejects_table = `0affe4008223_geo_rejects` | Delta table of the unreadable geo records
-- widget: geo_bronze_table = `0affe4008223_geo_bronze` | Delta table of the landed geo lines as loaded
-- widget: geo_changes_table = `0affe4008223_geo_changes` | Delta table of the last clean run's geo changes (replaced each run)
-- widget: user_table = `0affe4008223_user_table` | Delta table of the cleaned user records
-- widget: user_rejects_table = `0affe4008223_user_rejects` | Delta table of the unreadable user records
-- widget: user_bronze_table = `0affe4008223_user_bronze` | Delta table of the landed user lines as loaded
-- widget: user_changes_table = `0affe4008223_user_changes` | Delta table of the last clean run's user changes (replaced each run)

-- include: common/maintain.sql t=pin

-- include: common/maintain.sql t=geo

-- include: common/maintain.sql t=user

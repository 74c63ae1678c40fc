"""Column lists of the synthetic system tables, modeled on public dumps of the real schemas.

Source: ``source_data/system_tables_schema.csv`` of the public HobbsAnalytics/databricks-metric-views-system-tables
repository (column names, order and types). Where the real type is enormous and nothing reads it
(``query.history.query_parameters``) it is simplified, and ``storage.table_metrics_history``, absent from that dump,
is a plausible guess (*unverified*). Schemas drift on Databricks (columns get added): the tool must not depend on
this exact list, and tests can add columns (see :func:`.information_schema.refresh_information_schema`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rls.sql.system_tables import NAME, PRINCIPAL_ID, facts, known_unfilterable

_IDS = "job_info:struct<job_id:string,job_run_id:string>,dashboard_id:string,legacy_dashboard_id:string,notebook_id:string,sql_query_id:string,dlt_pipeline_info:struct<dlt_pipeline_id:string,dlt_update_id:string>,genie_space_id:string,alert_id:string"  # noqa: E501
_USAGE_METADATA = (
    "cluster_id:string,job_id:string,warehouse_id:string,instance_pool_id:string,node_type:string,job_run_id:string,"
    "notebook_id:string,dlt_pipeline_id:string,endpoint_name:string,endpoint_id:string,dlt_update_id:string,"
    "dlt_maintenance_id:string,run_name:string,job_name:string,notebook_path:string,central_clean_room_id:string,"
    "source_region:string,destination_region:string,app_id:string,app_name:string,metastore_id:string,"
    "private_endpoint_name:string,storage_api_type:string,budget_policy_id:string,ai_runtime_pool_id:string,"
    "ai_runtime_workload_id:string,uc_table_catalog:string,uc_table_schema:string,uc_table_name:string,"
    "database_instance_id:string,sharing_materialization_id:string,schema_id:string,usage_policy_id:string,"
    "base_environment_id:string,agent_bricks_id:string,index_id:string,catalog_id:string,project_id:string,"
    "branch_id:string,table_id:string,supervisor_agent_id:string,networking_client:string,associated_product:string,"
    "recipient_id:string,interactive_source:string,snapshot_id:string,"
    "ai_gateway:struct<endpoint_name:string,endpoint_id:string,destination_id:string,destination_model:string>,"
    "genie:struct<surface:string,channel:string,agent_id:string>,data_source:string,operation:string,"
    "serverless_compute_id:string"
)
_PRODUCT_FEATURES = (
    "jobs_tier:string,sql_tier:string,dlt_tier:string,is_serverless:boolean,is_photon:boolean,serving_type:string,"
    "networking:struct<connectivity_type:string>,ai_runtime:struct<compute_type:string>,"
    "model_serving:struct<offering_type:string>,ai_gateway:struct<feature_type:string>,"
    "serverless_gpu:struct<workload_type:string>,agent_bricks:struct<problem_type:string,workload_type:string>,"
    "performance_target:string,ai_functions:struct<ai_function:string>,apps:struct<compute_size:string>,"
    "lakeflow_connect:struct<task_type:string,zerobus_request_type:string>,"
    "lakebase:struct<storage_type:string,compute_type:string>,"
    "ai_bi_genie:struct<capability_type:string,offering_type:string>,genie:struct<offering_type:string>"
)
_COMPUTE = "array<struct<type:string,cluster_id:string,warehouse_id:string>>"
_HEALTH = "array<struct<metric:string,operator:string,value:bigint>>"
_LINEAGE_COMMON = (
    "account_id string, metastore_id string, workspace_id string, entity_type string, entity_id string, "
    "entity_run_id string, source_table_full_name string, source_table_catalog string, source_table_schema string, "
    "source_table_name string, source_path string, source_type string"
)

# "schema.table" -> Spark DDL column list, in the real column order.
SCHEMAS: dict[str, str] = {
    "access.assistant_events": "account_id string, workspace_id string, event_id string, event_time timestamp, "
    "event_date date, user_agent string, initiated_by string",
    "access.audit": "account_id string, workspace_id string, version string, event_time timestamp, event_date date, "
    "source_ip_address string, user_agent string, session_id string, user_identity struct<email:string,"
    "subject_name:string>, service_name string, action_name string, request_id string, request_params "
    "map<string,string>, response struct<status_code:int,error_message:string,result:string>, audit_level string, "
    "event_id string, identity_metadata struct<run_by:string,run_as:string,acting_resource:string,"
    "run_by_display_name:string,run_as_display_name:string>",
    "access.column_lineage": f"{_LINEAGE_COMMON}, source_column_name string, target_table_full_name string, "
    "target_table_catalog string, target_table_schema string, target_table_name string, target_path string, "
    "target_type string, target_column_name string, created_by string, event_time timestamp, event_date date, "
    f"record_id string, event_id string, statement_id string, entity_metadata struct<{_IDS}>, direct_access boolean",
    "access.outbound_network": "account_id string, workspace_id string, destination_type string, destination string, "
    "dns_event struct<domain_name:string,rcode:int,rdata:array<string>>, storage_event struct<hostname:string,"
    "path:string,rejection_reason:string,rdata:array<string>>, event_time timestamp, access_type string, "
    "event_id string, network_source_type string",
    "access.table_lineage": f"{_LINEAGE_COMMON}, target_table_full_name string, target_table_catalog string, "
    "target_table_schema string, target_table_name string, target_path string, target_type string, created_by "
    "string, event_time timestamp, event_date date, record_id string, event_id string, statement_id string, "
    f"entity_metadata struct<{_IDS}>, direct_access boolean",
    "access.workspaces_latest": "account_id string, workspace_id string, workspace_name string, workspace_url string, "
    "create_time timestamp, status string",
    "billing.usage": "account_id string, workspace_id string, record_id string, sku_name string, cloud string, "
    "usage_start_time timestamp, usage_end_time timestamp, usage_date date, custom_tags map<string,string>, "
    f"usage_unit string, usage_quantity decimal(38,18), usage_metadata struct<{_USAGE_METADATA}>, "
    "identity_metadata struct<run_as:string,created_by:string,owned_by:string,run_by:string>, record_type string, "
    f"ingestion_date date, billing_origin_product string, product_features struct<{_PRODUCT_FEATURES}>, "
    "usage_type string",
    "compute.clusters": "account_id string, workspace_id string, cluster_id string, cluster_name string, owned_by "
    "string, create_time timestamp, delete_time timestamp, driver_node_type string, worker_node_type string, "
    "worker_count bigint, min_autoscale_workers bigint, max_autoscale_workers bigint, auto_termination_minutes "
    "bigint, enable_elastic_disk boolean, tags map<string,string>, cluster_source string, init_scripts "
    "array<string>, aws_attributes struct<first_on_demand:bigint,availability:string,zone_id:string,"
    "instance_profile_arn:string,spot_bid_price_percent:bigint,ebs_volume_type:string,ebs_volume_count:bigint,"
    "ebs_volume_size:bigint,ebs_volume_iops:bigint,ebs_volume_throughput:bigint>, azure_attributes "
    "struct<first_on_demand:bigint,availability:string,spot_bid_max_price:double>, gcp_attributes "
    "struct<use_preemptible_executors:boolean,google_service_account:string,boot_disk_size:bigint,"
    "availability:string,zone_id:string,local_ssd_count:bigint>, driver_instance_pool_id string, "
    "worker_instance_pool_id string, dbr_version string, change_time timestamp, change_date date, "
    "data_security_mode string, policy_id string",
    "compute.node_timeline": "account_id string, workspace_id string, cluster_id string, instance_id string, "
    "start_time timestamp, end_time timestamp, driver boolean, cpu_user_percent double, cpu_system_percent double, "
    "cpu_wait_percent double, mem_used_percent double, mem_swap_percent double, network_sent_bytes bigint, "
    "network_received_bytes bigint, disk_free_bytes_per_mount_point map<string,bigint>, node_type string, "
    "private_ip string",
    "compute.warehouse_events": "account_id string, workspace_id string, warehouse_id string, event_type string, "
    "cluster_count int, event_time timestamp",
    "compute.warehouses": "warehouse_id string, workspace_id string, account_id string, warehouse_name string, "
    "warehouse_type string, warehouse_channel string, warehouse_size string, min_clusters int, max_clusters int, "
    "auto_stop_minutes int, tags map<string,string>, change_time timestamp, delete_time timestamp, created_by string",
    "lakeflow.job_run_timeline": "account_id string, workspace_id string, job_id string, run_id string, "
    "period_start_time timestamp, period_end_time timestamp, trigger_type string, result_state string, run_type "
    "string, run_name string, compute_ids array<string>, termination_code string, job_parameters "
    "map<string,map<string,string>>, source_task_run_id string, root_task_run_id string, "
    f"compute {_COMPUTE}, termination_type string, setup_duration_seconds bigint, queue_duration_seconds bigint, "
    "run_duration_seconds bigint, cleanup_duration_seconds bigint, execution_duration_seconds bigint",
    "lakeflow.job_task_run_timeline": "account_id string, workspace_id string, job_id string, run_id string, "
    "period_start_time timestamp, period_end_time timestamp, task_key string, compute_ids array<string>, "
    "result_state string, job_run_id string, parent_run_id string, termination_code string, "
    f"compute {_COMPUTE}, termination_type string, task_parameters map<string,map<string,string>>, "
    "setup_duration_seconds bigint, cleanup_duration_seconds bigint, execution_duration_seconds bigint",
    "lakeflow.job_tasks": "account_id string, workspace_id string, job_id string, task_key string, depends_on_keys "
    f"array<string>, change_time timestamp, delete_time timestamp, timeout_seconds bigint, health_rules {_HEALTH}",
    "lakeflow.jobs": "account_id string, workspace_id string, job_id string, name string, creator_id string, tags "
    "map<string,string>, run_as string, change_time timestamp, delete_time timestamp, description string, trigger "
    "struct<periodic:struct<interval:int,units:string>,continuous:struct<enabled:boolean>,"
    "schedule:struct<quartz_cron_expression:string,timezone_id:string>>, trigger_type string, run_as_user_name "
    f"string, creator_user_name string, paused boolean, timeout_seconds bigint, health_rules {_HEALTH}, "
    "deployment struct<kind:string,metadata_file_path:string>, create_time timestamp",
    "query.history": "account_id string, workspace_id string, statement_id string, executed_by string, session_id "
    "string, execution_status string, compute struct<type:string,cluster_id:string,warehouse_id:string>, "
    "executed_by_user_id string, statement_text string, statement_type string, error_message string, "
    "client_application string, client_driver string, total_duration_ms bigint, waiting_for_compute_duration_ms "
    "bigint, waiting_at_capacity_duration_ms bigint, execution_duration_ms bigint, compilation_duration_ms bigint, "
    "total_task_duration_ms bigint, result_fetch_duration_ms bigint, start_time timestamp, end_time timestamp, "
    "update_time timestamp, read_partitions bigint, pruned_files bigint, read_files bigint, read_rows bigint, "
    "produced_rows bigint, read_bytes bigint, read_io_cache_percent tinyint, from_result_cache boolean, "
    "spilled_local_bytes bigint, written_bytes bigint, shuffle_read_bytes bigint, query_source "
    "struct<job_info:struct<job_id:string,job_run_id:string,job_task_run_id:string>,legacy_dashboard_id:string,"
    "dashboard_id:string,alert_id:string,notebook_id:string,sql_query_id:string,genie_space_id:string,"
    "pipeline_info:struct<pipeline_id:string,update_id:string>>, executed_as_user_id string, executed_as string, "
    "written_rows bigint, written_files bigint, cache_origin_statement_id string, query_parameters "
    "struct<named_parameters:map<string,string>,pos_parameters:array<string>,truncated:boolean>, query_tags "
    "map<string,string>, pruned_files_bytes bigint, read_files_bytes bigint",
    "serving.served_entities": "served_entity_id string, account_id string, workspace_id string, created_by string, "
    "endpoint_name string, endpoint_id string, served_entity_name string, entity_type string, entity_name string, "
    "entity_version string, endpoint_config_version int, task string, external_model_config struct<provider:string>, "
    "foundation_model_config struct<min_provisioned_throughput:bigint,max_provisioned_throughput:bigint>, "
    "custom_model_config struct<min_concurrency:int,max_concurrency:int,compute_type:string>, feature_spec_config "
    "struct<min_concurrency:int,max_concurrency:int,compute_type:string>, change_time timestamp, "
    "endpoint_delete_time timestamp",
    "storage.predictive_optimization_operations_history": "account_id string, workspace_id string, start_time "
    "timestamp, end_time timestamp, metastore_name string, metastore_id string, catalog_name string, schema_name "
    "string, table_name string, table_id string, operation_type string, operation_id string, operation_status string, "
    "operation_metrics map<string,string>, usage_unit string, usage_quantity decimal(38,18)",
    # ---- no workspace_id: these cannot be filtered per workspace ----
    "billing.list_prices": "account_id string, price_start_time timestamp, price_end_time timestamp, sku_name string, "
    "cloud string, currency_code string, usage_unit string, pricing struct<`default`:decimal(38,18),"
    "promotional:struct<`default`:decimal(38,18)>,effective_list:struct<`default`:decimal(38,18)>>",
    "compute.node_types": "account_id string, node_type string, core_count double, memory_mb bigint, gpu_count bigint",
    "access.clean_room_events": "account_id string, metastore_id string, event_id string, clean_room_name string, "
    "central_clean_room_id string, initiator_global_metastore_id string, event_type string, "
    "clean_room_deleted_metadata struct<central_clean_room_id:string>, event_time timestamp, "
    "initiator_collaborator_alias string",
    "storage.table_metrics_history": "account_id string, metastore_id string, catalog_name string, schema_name string, "
    "table_name string, table_id string, event_time timestamp, event_date date, num_files bigint, size_in_bytes "
    "bigint, num_rows bigint",
}

# What the registry (rls.sql.system_tables) says about these tables: the one place that knows which tables have no
# workspace_id and which columns name a principal, and how (a name or a principal id).
NO_WORKSPACE_ID = tuple(t for t in SCHEMAS if known_unfilterable(t))
WORKSPACE_TABLES = tuple(t for t in SCHEMAS if t not in NO_WORKSPACE_ID)


@dataclass(frozen=True)
class IdentityColumn:
    """A column (``a.b`` for a struct field) that holds what current_user() returns for some identity."""

    table: str
    path: str


def _columns(kind: str) -> tuple[IdentityColumn, ...]:
    return tuple(
        IdentityColumn(t, c.path) for t in SCHEMAS if (f := facts(t)) is not None for c in f.identity if c.kind == kind
    )


IDENTITY_COLUMNS: tuple[IdentityColumn, ...] = _columns(NAME)
"""Columns holding names (user name / application id)."""
PRINCIPAL_ID_COLUMNS: tuple[IdentityColumn, ...] = _columns(PRINCIPAL_ID)
"""Columns holding account principal ids (e.g. ``lakeflow.jobs.run_as``): synthetic rows carry the emulator's ids."""

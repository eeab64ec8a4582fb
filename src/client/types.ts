/** Engine API answer shapes the CLI reads (the fields it uses). */

/** One item of GET /images/json (and of /system/df's Images). */
export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
  Labels?: Record<string, string> | null;
}

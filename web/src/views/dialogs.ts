// The confirmation box and messages of the asset list (a deletion), in a chunk of their own: the list
// imports this when a deletion is first asked for, so they stay off the first page's critical path.
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";

export { ElMessage, ElMessageBox } from "element-plus";

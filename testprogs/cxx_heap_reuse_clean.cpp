// lockhound-expect: clean
// Tree nodes with a std::mutex each, locked parent then child.  A node is
// deleted and a new one is allocated at the same address with the roles
// swapped (the old child is now the parent).  std::mutex never calls
// pthread_mutex_init/destroy: lockhound must see the delete, or the new
// node would inherit the old one's lock orders and make a false cycle.
#include <cstdio>
#include <mutex>

struct Node {
	std::mutex lock;
	int value = 0;
};

static void update_child(Node *parent, Node *child)
{
	std::lock_guard<std::mutex> p(parent->lock);
	std::lock_guard<std::mutex> c(child->lock);
	child->value = parent->value + 1;
}

int main()
{
	Node *root = new Node;
	Node *leaf = new Node;
	update_child(root, leaf); // root -> leaf
	void *old_root = root;
	delete root;
	Node *new_leaf = new Node; // the allocator hands back root's memory
	update_child(leaf, new_leaf); // leaf -> (memory of the old root)
	std::printf("reused=%d value=%d\n", (void *)new_leaf == old_root, new_leaf->value);
	delete new_leaf;
	delete leaf;
	return 0;
}
